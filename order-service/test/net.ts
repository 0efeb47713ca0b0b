// The loopback helpers live in test-support; this module keeps the short import the suites here use.
export { listen, type Listening, tempDb } from '@ostack/test-support/net';
