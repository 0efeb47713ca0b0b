// vitest globalSetup: says once, in one line, why the PostgreSQL cases of `npm test` are skipped; with CI=true a
// missing server fails the run here, before any test.
import { postgresMissing } from './postgres';

export default function setup(): void {
  const missing = postgresMissing();
  if (missing) console.warn(`PostgreSQL test cases skipped: ${missing}`);
}
