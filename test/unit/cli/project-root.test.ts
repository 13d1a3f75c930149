import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localDataDir, projectRoot } from '../../../cli/project-root';

describe('where the CLI finds the local stack', () => {
  it('is the checkout’s .local from any directory inside it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'anshin-root-'));
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'anshin-relay' }));
    const deep = join(root, 'lambdas', 'relay', 'aws');
    await mkdir(deep, { recursive: true });
    // A package.json of another project on the way up is passed over.
    await writeFile(join(root, 'lambdas', 'package.json'), JSON.stringify({ name: 'something-else' }));

    expect(projectRoot(deep)).toBe(root);
    expect(localDataDir(undefined, {}, deep)).toBe(join(root, '.local'));
  });

  it('is what --data-dir or ANSHIN_LOCAL_DIR names, relative to where the CLI runs', () => {
    expect(localDataDir('other', {}, '/work/x')).toBe('/work/x/other');
    expect(localDataDir(undefined, { ANSHIN_LOCAL_DIR: '/srv/stack-2' }, '/work/x')).toBe('/srv/stack-2');
    expect(localDataDir('/a', { ANSHIN_LOCAL_DIR: '/b' }, '/work/x')).toBe('/a');
  });

  it('is the directory the CLI runs in, outside any checkout', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'anshin-elsewhere-'));
    expect(projectRoot(elsewhere)).toBe(elsewhere);
  });
});
