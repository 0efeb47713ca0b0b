import type { RequestHandler } from 'express';

/** `GET /health`: answers while the process serves requests (compose's healthcheck), naming service and version. */
export function healthRoute(service: string, version: string): RequestHandler {
  return (_req, res) => {
    res.json({ status: 'ok', service, version });
  };
}
