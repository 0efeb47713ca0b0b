export { createApp, type AppOptions } from './app';
export { ApiError, errorHandler, notFoundRoute } from './errors';
export { parseInput, positiveInt, requestFields } from './input';
export { serve, type ServeOptions } from './serve';
export { openDatabase } from './sqlite';
