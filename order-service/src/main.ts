import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@ostack/telemetry';
import { buildOrderService } from './app';
import { readConfig } from './config';
import { startOrderService } from './start';

// The package's own version, for /health and the logs (package.json sits beside dist/ and src/).
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const config = readConfig();
const logger = createLogger('order-service');

startOrderService(buildOrderService(config, logger, version), config, logger).catch((err: Error) => {
  logger.error('could not start', { error: err.message });
  process.exit(1);
});
