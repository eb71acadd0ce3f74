import { describe, expect, it } from 'vitest';
import { ApiError, ServiceError } from '../../examples/chat-service/src/errors.ts';
import { parseCliOptions, UsageError as ChatUsageError } from '../../examples/chat-service/src/cli.ts';
import { ConversationError, StoreError, StoreLockedError, VectorError } from '@switchyard/data';
import {
  ClientNotReadyError,
  ClientOptionsError,
  SwitchyardError as RuntimeSwitchyardError,
} from '@switchyard/runtime';
import { CanonicalJsonError } from '../../src/bundle/runtime-format.ts';
import { errorCode, problem, SwitchyardError } from '../../src/errors/index.ts';
import { GitError, runGit } from '../../src/git/run-git.ts';
import { MigrateError } from '../../src/migrate/conversations/errors.ts';
import { RunLockError } from '../../src/migrate/shared/run-lock.ts';
import { EmbeddingError, toEmbeddingError } from '../../src/migrate/embeddings/embedder.ts';

describe('SwitchyardError', () => {
  it('carries code, message, hint and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const e = new SwitchyardError('E_STORE_OPEN', 'cannot open the database', { hint: 'check --database-url', cause });
    expect(e).toBeInstanceOf(Error);
    expect({ name: e.name, code: e.code, message: e.message, hint: e.hint, cause: e.cause }).toEqual({
      name: 'SwitchyardError',
      code: 'E_STORE_OPEN',
      message: 'cannot open the database',
      hint: 'check --database-url',
      cause,
    });
    expect('cause' in new SwitchyardError('E_X', 'no cause')).toBe(false);
  });

  it('is one class for the runtime package and the rest of the repository', () => {
    expect(SwitchyardError).toBe(RuntimeSwitchyardError);
  });

  it('is the base of every coded error class, each keeping its own name', () => {
    const made: Array<[SwitchyardError, string]> = [
      [new VectorError('E_VECTOR_WRITE', 'm'), 'VectorError'],
      [new EmbeddingError('E_EMBED_SERVER', 'm', { retryable: true }), 'EmbeddingError'],
      [new ConversationError('E_CONVERSATION_INVALID', 'm'), 'ConversationError'],
      [new GitError('E_GIT_FAILED', 'm', 'stderr'), 'GitError'],
      [new RunLockError('E_MIGRATE_RUNNING', 'm'), 'RunLockError'],
      [new MigrateError('E_MIGRATE_BATCH', 'm'), 'MigrateError'],
      [new StoreError('E_STORE_OPEN', 'm'), 'StoreError'],
      [new ClientOptionsError('m'), 'ClientOptionsError'],
      [new ClientNotReadyError('m', 'E_NOT_READY'), 'ClientNotReadyError'],
      [new ApiError('E_CONFLICT', 'm'), 'ApiError'],
      [new ServiceError('E_LISTEN', 'm'), 'ServiceError'],
      [new ChatUsageError('m'), 'UsageError'],
      [new StoreLockedError('/tmp/db', 42), 'StoreLockedError'],
      [new CanonicalJsonError('not finite', '/a'), 'CanonicalJsonError'],
    ];
    for (const [error, name] of made) {
      expect(error).toBeInstanceOf(SwitchyardError);
      expect(error.name).toBe(name);
      expect(error.code).toMatch(/^E_[A-Z_]+$/);
      expect(errorCode(error)).toBe(error.code);
    }
    expect(new ClientOptionsError('m').code).toBe('E_CLIENT_OPTIONS');
    expect(() => parseCliOptions(['--nope'], {})).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
    expect(new ApiError('E_CONFLICT', 'm').status).toBe(409);
    expect(new StoreLockedError('/tmp/db', 42)).toMatchObject({ code: 'E_STORE_LOCKED', pid: 42 });
    expect(new CanonicalJsonError('not finite', '/a')).toMatchObject({ code: 'E_CANONICAL_JSON', pointer: '/a' });
  });

  it('keeps the wrapped error as cause where one error wraps another', async () => {
    const sdkError = new Error('socket hang up');
    expect(toEmbeddingError(sdkError, 'text-embedding-3-small').cause).toBe(sdkError);
    const failed = await runGit(import.meta.dirname, ['rev-parse', '--verify', 'no-such-ref-anywhere']).catch(
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(GitError);
    expect((failed as GitError).code).toBe('E_GIT_FAILED');
    expect((failed as GitError).cause).toBeInstanceOf(Error);
  });

  it('errorCode reads the code of anything thrown', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errorCode('a string')).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode({ code: 42 })).toBeUndefined();
  });
});

describe('problem', () => {
  it('is the Result failure shape, without an undefined hint', () => {
    expect(problem('E_MIGRATE_UNKNOWN', 'no plan')).toEqual({
      ok: false,
      code: 'E_MIGRATE_UNKNOWN',
      message: 'no plan',
    });
    expect(Object.keys(problem('E_X', 'm'))).not.toContain('hint');
    expect(problem('E_X', 'm', 'do this')).toEqual({ ok: false, code: 'E_X', message: 'm', hint: 'do this' });
  });
});
