/**
 * The main entry is what an application calls; tools' helpers live at `@switchyard/runtime/bundle`.
 * The exact list is pinned here so that adding to the application API is a deliberate change, and
 * every public member of the client carries JSDoc (what the shipped `.d.ts` shows in an editor).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as main from '../src/index.ts';
import * as tools from '../src/tools.ts';

const PKG = join(import.meta.dirname, '..');

describe('entry points', () => {
  it('the main entry exports the client, its errors and codes, record upgrades and the sinks — values only these', () => {
    expect(Object.keys(main).sort()).toEqual([
      'ClientCode',
      'ClientNotReadyError',
      'ClientOptionsError',
      'FEATURE_FLAG_PROVIDER',
      'SCHEMA_VERSION_FIELD',
      'SwitchyardClient',
      'SwitchyardError',
      'createClient',
      'createHttpSink',
      'createJsonlFileSink',
      'createMemorySink',
      'errorCode',
      'featureFlagAttributes',
      'upgradeRecord',
    ]);
  });

  it('bucketing, tables, verification and format helpers are only at the /bundle subpath', () => {
    for (const name of [
      'backoffDelay',
      'murmur3',
      'createHashPrefix',
      'compileTable',
      'buildTable',
      'Engine',
      'nextDelay',
      'signingMessage',
      'verifyManifest',
      'canonicalBytes',
      'bucketOf',
    ]) {
      expect(name in main, name).toBe(false);
      expect(name in tools, name).toBe(true);
    }
  });

  it('package.json maps both entries', async () => {
    const pkg = JSON.parse(await readFile(join(PKG, 'package.json'), 'utf8')) as { exports: Record<string, string> };
    expect(pkg.exports).toEqual({ '.': './src/index.ts', './bundle': './src/tools.ts' });
  });

  it('every public member of SwitchyardClient has JSDoc', async () => {
    const file = join(PKG, 'src', 'client', 'client.ts');
    const source = ts.createSourceFile(file, await readFile(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const undocumented: string[] = [];
    let members = 0;
    source.forEachChild(function visit(node) {
      if (ts.isClassDeclaration(node) && node.name?.text === 'SwitchyardClient') {
        for (const member of node.members) {
          if (!(ts.isMethodDeclaration(member) || ts.isGetAccessor(member)) || !member.name) continue;
          const modifiers = ts.getCombinedModifierFlags(member);
          if (
            modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected) ||
            ts.isPrivateIdentifier(member.name)
          )
            continue;
          members++;
          if (ts.getJSDocCommentsAndTags(member).length === 0) undocumented.push(member.name.getText(source));
        }
      }
    });
    expect(members).toBeGreaterThanOrEqual(15);
    expect(undocumented).toEqual([]);
  });
});
