import { Writable } from 'node:stream';
import winston from 'winston';

export interface Captured {
  level: string;
  message: string;
  [key: string]: unknown;
}

/** A real winston logger whose JSON records land in an array instead of on stdout. */
export function captureLogs(): { logger: winston.Logger; records: Captured[] } {
  const records: Captured[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString()) as Captured);
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'info',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, records };
}
