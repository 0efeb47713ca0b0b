import { EventEmitter } from 'node:events';
import { type Context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { LeanContextManager } from '../src/lean-context-manager';

const KEY = createContextKey('test key');
const ctx = (value: string): Context => ROOT_CONTEXT.setValue(KEY, value);
const valueIn = (manager: LeanContextManager) => manager.active().getValue(KEY);

describe('LeanContextManager', () => {
  it('with() runs a function in a context, with its this and arguments, and restores the previous one', async () => {
    const manager = new LeanContextManager();
    expect(manager.active()).toBe(ROOT_CONTEXT);
    const self = { name: 'self' };
    const result = manager.with(
      ctx('outer'),
      function (this: typeof self, a: number, b: number) {
        expect(this).toBe(self);
        expect(valueIn(manager)).toBe('outer');
        manager.with(ctx('inner'), () => expect(valueIn(manager)).toBe('inner'));
        expect(valueIn(manager)).toBe('outer');
        return a + b;
      },
      self,
      2,
      3,
    );
    expect(result).toBe(5);
    expect(manager.active()).toBe(ROOT_CONTEXT);
    // ...and the context follows the async work started inside it.
    const later = manager.with(ctx('async'), () => new Promise((r) => setTimeout(() => r(valueIn(manager)), 5)));
    expect(await later).toBe('async');
  });

  it('bind(function) runs it in the bound context wherever it is called, and keeps its arity', () => {
    const manager = new LeanContextManager();
    const handler = (_err: unknown, _req: unknown, _res: unknown, _next: unknown) => valueIn(manager);
    const bound = manager.bind(ctx('bound'), handler);
    expect(bound.length).toBe(4); // express tells error handlers by their four parameters
    expect(manager.with(ctx('caller'), () => bound(null, null, null, null))).toBe('bound');
    expect(bound(null, null, null, null)).toBe('bound');
  });

  it('bind(emitter) runs every listener, added before or after, in the bound context; the first binding wins', () => {
    const manager = new LeanContextManager();
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    emitter.on('data', () => seen.push(['before', valueIn(manager)]));
    expect(manager.bind(ctx('request'), emitter)).toBe(emitter);
    emitter.on('data', () => seen.push(['after', valueIn(manager)]));
    manager.bind(ctx('other'), emitter);
    const handled = manager.with(ctx('caller'), () => emitter.emit('data'));
    expect(handled).toBe(true);
    expect(emitter.emit('nothing listens')).toBe(false);
    expect(seen).toEqual([
      ['before', 'request'],
      ['after', 'request'],
    ]);
  });

  it('attach() sets the context for the rest of the execution; dispose() restores the previous one, once', () => {
    const manager = new LeanContextManager();
    manager.with(ctx('previous'), () => {
      const token = manager.attach(ctx('attached'));
      expect(valueIn(manager)).toBe('attached');
      token.dispose();
      expect(valueIn(manager)).toBe('previous');
      manager.attach(ctx('again'));
      token.dispose(); // a second dispose changes nothing
      expect(valueIn(manager)).toBe('again');
    });
  });

  it('anything else is returned unchanged', () => {
    const manager = new LeanContextManager();
    const value = { not: 'bindable' };
    expect(manager.bind(ctx('x'), value)).toBe(value);
  });
});
