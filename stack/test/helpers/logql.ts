// LogQL read with Grafana's own grammar (@grafana/lezer-logql): parse errors, the stream selector's matchers, the
// pipeline's stages, and which stored lines a plain `{selector} | label="value"` query selects.
import { parser } from '@grafana/lezer-logql';
import type { StoredLogLine } from './loki-otlp';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** Errors the grammar reports (0 = parses). */
export function logqlErrors(expr: string): number {
  let errors = 0;
  parser.parse(expr).iterate({ enter: (n) => void (n.type.isError && errors++) });
  return errors;
}

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

const unquote = (s: string) => (s.startsWith('`') ? s.slice(1, -1) : (JSON.parse(s) as string));
const children = (node: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};
const descendants = (node: SyntaxNode, name: string): SyntaxNode[] =>
  children(node).flatMap((c) => (c.name === name ? [c] : descendants(c, name)));

function matcherOf(node: SyntaxNode, expr: string): Matcher {
  const [id, op, str] = children(node);
  return {
    label: expr.slice(id!.from, id!.to),
    op: expr.slice(op!.from, op!.to) as Matcher['op'],
    value: unquote(expr.slice(str!.from, str!.to)),
  };
}

function logExpr(expr: string): SyntaxNode {
  const node = parser.parse(expr).topNode.firstChild?.firstChild;
  if (node?.name !== 'LogExpr') throw new Error(`not a log query: ${expr}`);
  return node;
}

/** The stream selector's matchers. */
export const selectorMatchers = (expr: string): Matcher[] =>
  descendants(
    children(logExpr(expr)).find((n) => n.name === 'Selector')!,
    'Matcher',
  ).map((m) => matcherOf(m, expr));

/** The pipeline's stages in order, by their grammar name (LabelFilter, LineFilters, LabelFormatExpr, ...). */
export function pipelineStages(expr: string): { kind: string; text: string; node: SyntaxNode }[] {
  const pipeline = children(logExpr(expr)).find((n) => n.name === 'PipelineExpr');
  return pipeline
    ? descendants(pipeline, 'PipelineStage').map((stage) => {
        const kind = children(stage).find((c) => c.name !== 'Pipe')!;
        return { kind: kind.name, text: expr.slice(stage.from, stage.to), node: kind };
      })
    : [];
}

/** A label filter stage that is one plain matcher (`| name="value"`), else undefined. */
export function plainLabelFilter(stage: { kind: string; node: SyntaxNode }, expr: string): Matcher | undefined {
  if (stage.kind !== 'LabelFilter') return undefined;
  const [only, ...more] = children(stage.node);
  return only?.name === 'Matcher' && more.length === 0 ? matcherOf(only, expr) : undefined;
}

const test = (m: Matcher, value: string | undefined) => {
  const v = value ?? '';
  if (m.op === '=') return v === m.value;
  if (m.op === '!=') return v !== m.value;
  const full = new RegExp(`^(?:${m.value})$`).test(v);
  return m.op === '=~' ? full : !full;
};

/**
 * The stored lines a query selects: its selector on the stream labels, then each plain label filter on labels
 * and structured metadata together. Any other stage is refused rather than guessed at.
 */
export function select(expr: string, lines: StoredLogLine[]): StoredLogLine[] {
  const selector = selectorMatchers(expr);
  const filters = pipelineStages(expr).map((stage) => {
    const m = plainLabelFilter(stage, expr);
    if (!m) throw new Error(`only plain label filters are evaluated here, not: ${stage.text}`);
    return m;
  });
  return lines.filter(
    (l) =>
      selector.every((m) => test(m, l.index[m.label])) &&
      filters.every((m) => test(m, { ...l.structuredMetadata, ...l.index }[m.label])),
  );
}
