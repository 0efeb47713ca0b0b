import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api';

const BOUND = Symbol('ostack.telemetry.boundContext');

type Bindable = EventEmitter & { [BOUND]?: true };

/**
 * The active context in an AsyncLocalStorage, as the SDK's AsyncLocalStorageContextManager, with a cheaper
 * bind(), which the http instrumentation calls for every request and response (the saving: docs/performance.md):
 * - an EventEmitter (the http instrumentation binds every request and response, incoming and outgoing) gets
 *   its `emit` wrapped once, so its listeners run in the bound context. The SDK's manager instead patches six
 *   listener methods on each emitter and wraps every listener added later (a closure, a WeakMap entry and a
 *   property definition each; Node's http and body parsing add and remove several per request).
 * - a function is wrapped without allocating a closure per call.
 * As with the SDK's manager, the first binding of an emitter wins.
 */
export class LeanContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    // Entering the context that is already active changes nothing, but would allocate a new async context frame.
    if (this.storage.getStore() === context) {
      return Reflect.apply<ThisParameterType<F> | undefined, A, ReturnType<F>>(fn, thisArg, args);
    }
    return this.storage.run<ReturnType<F>, [F, ThisParameterType<F> | undefined, A]>(
      context,
      Reflect.apply,
      fn,
      thisArg,
      args,
    );
  }

  bind<T>(context: Context, target: T): T {
    const storage = this.storage;
    if (target instanceof EventEmitter) {
      const emitter = target as Bindable;
      if (emitter[BOUND]) return target;
      emitter[BOUND] = true;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the emitter as `this`
      const emit = emitter.emit;
      emitter.emit = function boundEmit(this: EventEmitter, ...args: unknown[]): boolean {
        if (storage.getStore() === context) return Reflect.apply(emit, this, args) as boolean;
        return storage.run(context, Reflect.apply, emit, this, args) as boolean;
      } as EventEmitter['emit'];
      return target;
    }
    if (typeof target === 'function') {
      const fn = target as (...args: unknown[]) => unknown;
      const bound = function (this: unknown, ...args: unknown[]): unknown {
        if (storage.getStore() === context) return Reflect.apply(fn, this, args);
        return storage.run(context, Reflect.apply, fn, this, args);
      };
      // Some callers look at a function's arity (express tells error handlers by their four parameters).
      Object.defineProperty(bound, 'length', { configurable: true, value: fn.length });
      return bound as T;
    }
    return target;
  }

  /** Sets the context for the rest of the current execution; the token's dispose() restores the previous one. */
  attach(context: Context): { dispose(): void } {
    const previous = this.active();
    this.storage.enterWith(context);
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.storage.enterWith(previous);
      },
    };
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}
