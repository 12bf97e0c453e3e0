import { DataFactory } from 'n3';

/** RDF/JS term constructors (n3's), usable as plain functions. */
export const namedNode = (value: string): ReturnType<typeof DataFactory.namedNode> => DataFactory.namedNode(value);
export const literal = (
  value: string,
  datatype?: ReturnType<typeof DataFactory.namedNode>,
): ReturnType<typeof DataFactory.literal> => DataFactory.literal(value, datatype);
export const variable = (value: string): ReturnType<typeof DataFactory.variable> => DataFactory.variable(value);
export const quad = (
  subject: ReturnType<typeof DataFactory.namedNode>,
  predicate: ReturnType<typeof DataFactory.namedNode>,
  object: ReturnType<typeof DataFactory.namedNode> | ReturnType<typeof DataFactory.literal>,
  graph: ReturnType<typeof DataFactory.namedNode>,
): ReturnType<typeof DataFactory.quad> => DataFactory.quad(subject, predicate, object, graph);
