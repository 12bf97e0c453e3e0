import semverValid from 'semver/functions/valid.js';
import semverValidRange from 'semver/ranges/valid.js';
import * as z from 'zod';
import { PACKAGE_NAME_PATTERN } from '../names.js';
import { licenseProblem } from './spdx-license.js';

export { PACKAGE_NAME_PATTERN };

/** The types a template variable may have. */
export const VARIABLE_TYPES = ['string', 'number', 'boolean', 'array', 'object'] as const;

function buildSchema() {
  const variableSchema = z
    .object({
      type: z.enum(VARIABLE_TYPES).default('string'),
      required: z.boolean().optional(),
      default: z.unknown().optional(),
      description: z.string().optional(),
    })
    .strict();

  return z
    .object({
      name: z
        .string()
        .regex(
          PACKAGE_NAME_PATTERN,
          'a package name: lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, optionally in a scope (@acme/name)',
        ),
      version: z.string().refine((value) => semverValid(value) !== null, 'a semantic version such as 1.2.3'),
      description: z.string().min(1, 'a non-empty description'),
      author: z.string().min(1).optional(),
      license: z
        .string()
        .min(1)
        .superRefine((value, context) => {
          const problem = licenseProblem(value);
          if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      category: z.string().min(1).optional(),
      tags: z.array(z.string().min(1)).default([]),
      keywords: z.array(z.string().min(1)).default([]),
      dependencies: z
        .record(
          z.string().regex(PACKAGE_NAME_PATTERN, 'a package name'),
          z.string().refine((range) => semverValidRange(range) !== null, 'a semver range such as ^1.2.0'),
        )
        .default({}),
      files: z.array(z.string().min(1)).default([]),
      templates: z.array(z.string().min(1)).default([]),
      variables: z.record(z.string(), variableSchema).default({}),
      repository: z.string().optional(),
      homepage: z.string().optional(),
    })
    .strict();
}

type GpackManifestSchema = ReturnType<typeof buildSchema>;

/** gpack.yaml's schema (docs/gpack-yaml.md): the one rule every manifest reader checks. */
const GPACK_MANIFEST = buildSchema();
export const gpackManifestSchema = (): GpackManifestSchema => GPACK_MANIFEST;

export type GpackManifest = z.infer<GpackManifestSchema>;
export type GpackManifestInput = z.input<GpackManifestSchema>;
