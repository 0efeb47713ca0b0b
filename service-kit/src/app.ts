import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import type { Logger } from '@ostack/telemetry';
import { accessLog } from './access-log';
import { errorHandler, notFoundRoute } from './errors';

export interface AppOptions {
  logger: Logger;
  routes: Router;
  /** Largest JSON body accepted; larger ones get 413. */
  bodyLimit?: string;
}

/** The frame both services share: security headers, bounded JSON bodies, access log, JSON 404 and errors. */
export function createApp({ logger, routes, bodyLimit = '16kb' }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple'); // flat strings only: no nested objects from `a[b]=c`
  app.use(accessLog(logger));
  app.use(helmet());
  app.use(express.json({ limit: bodyLimit, strict: true }));
  app.use(routes);
  app.use(notFoundRoute);
  app.use(errorHandler(logger));
  return app;
}
