import { createLogger, shutdownTelemetry } from '@ostack/telemetry';
import { readConfig } from './config';
import { LoadGenerator } from './generator';

const config = readConfig();
const logger = createLogger('load-generator');
const generator = new LoadGenerator(config, logger);

async function stop(reason: string): Promise<void> {
  const stats = await generator.stop();
  logger.info('load generator stopped', { reason, ...stats });
  await shutdownTelemetry();
  process.exit(0);
}

logger.info('load generator started', { target: config.ORDER_SERVICE_URL, rps: config.LOAD_RPS });
generator.start();
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
if (config.LOAD_DURATION_S > 0) setTimeout(() => void stop('duration reached'), config.LOAD_DURATION_S * 1_000);
