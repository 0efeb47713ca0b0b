import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@ostack/service-kit';
import { createLogger } from '@ostack/telemetry';
import { buildInventoryService } from './app';
import { readConfig } from './config';

// The package's own version, for /health and the logs (package.json sits beside dist/ and src/).
const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
const config = readConfig();
const logger = createLogger('inventory-service');
const service = buildInventoryService(config, logger, version);

serve(service.app, { port: config.PORT, host: config.HOST, logger, onClose: () => service.close() }).catch(
  (err: Error) => {
    logger.error('could not start', { error: err.message });
    process.exit(1);
  },
);
