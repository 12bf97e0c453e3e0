import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { catalogToNQuads, RDF, V } from '@ggen/marketplace-v2';
import { Parser } from 'n3';
import { fullPackage, ontologyPath, sampleCatalogText } from './fixtures.js';

const declared = (() => {
  const quads = new Parser().parse(readFileSync(ontologyPath, 'utf8'));
  const properties = new Set<string>();
  const classes = new Set<string>();
  for (const quad of quads) {
    if (quad.predicate.value !== `${RDF}type`) continue;
    if (quad.object.value === `${RDF}Property`) properties.add(quad.subject.value);
    // A datatype (gg:Token) is a class of literals.
    if (
      quad.object.value === 'http://www.w3.org/2000/01/rdf-schema#Class' ||
      quad.object.value === 'http://www.w3.org/2000/01/rdf-schema#Datatype'
    )
      classes.add(quad.subject.value);
  }
  return { properties, classes };
})();

function written(nquads: string): { predicates: Set<string>; classes: Set<string> } {
  const quads = new Parser({ format: 'N-Quads' }).parse(nquads);
  return {
    predicates: new Set(quads.map((quad) => quad.predicate.value)),
    classes: new Set(quads.filter((quad) => quad.predicate.value === V.type).map((quad) => quad.object.value)),
  };
}

describe('ontology.ttl', () => {
  it('declares every predicate and class the catalog writer uses, for the sample and a full package', () => {
    for (const text of [sampleCatalogText(), catalogToNQuads([fullPackage(), fullPackage('other-pack')])]) {
      const used = written(text);
      expect(
        [...used.predicates].filter((predicate) => predicate !== V.type && !declared.properties.has(predicate)),
      ).toEqual([]);
      expect([...used.classes].filter((cls) => !declared.classes.has(cls))).toEqual([]);
    }
  });

  it('declares every IRI of the vocabulary module that is a property or a class', () => {
    const vocabulary = Object.values(V).filter(
      (iri) =>
        iri.startsWith('https://ggen.dev/ns/') ||
        iri.startsWith('http://purl.org/dc/terms/') ||
        iri.startsWith('http://xmlns.com/foaf/'),
    );
    expect(vocabulary.filter((iri) => !declared.properties.has(iri) && !declared.classes.has(iri))).toEqual([]);
  });
});
