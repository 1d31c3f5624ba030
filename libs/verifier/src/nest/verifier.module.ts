import { DynamicModule, Inject, InjectionToken, Module, ModuleMetadata, OnModuleDestroy, OptionalFactoryDependency } from '@nestjs/common';
import { createVerifier, Verifier, VerifierOptions } from '../create-verifier';
import { TESSERA_VERIFIER, TesseraAuthGuard, TesseraRolesGuard } from './guards';

export interface TesseraVerifierModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => VerifierOptions | Promise<VerifierOptions>;
  /** Registered globally (default true), so that any module's controllers can use the guards. */
  global?: boolean;
}

/**
 * The verifier as a Nest module: `forRoot` with the options, or `forRootAsync` with a factory
 * (from ConfigService, say). It provides the Verifier (`TESSERA_VERIFIER`), TesseraAuthGuard and
 * TesseraRolesGuard, and stops the revocation feed when the application closes.
 */
@Module({})
export class TesseraVerifierModule implements OnModuleDestroy {
  constructor(@Inject(TESSERA_VERIFIER) private readonly verifier: Verifier) {}

  static forRoot(options: VerifierOptions & { global?: boolean }): DynamicModule {
    const { global = true, ...verifierOptions } = options;
    return TesseraVerifierModule.build(global, [], { provide: TESSERA_VERIFIER, useFactory: () => createVerifier(verifierOptions) });
  }

  static forRootAsync(options: TesseraVerifierModuleAsyncOptions): DynamicModule {
    const { global = true, imports = [], inject = [], useFactory } = options;
    return TesseraVerifierModule.build(global, imports, {
      provide: TESSERA_VERIFIER,
      inject,
      useFactory: async (...args: never[]) => createVerifier(await useFactory(...args)),
    });
  }

  private static build(global: boolean, imports: NonNullable<ModuleMetadata['imports']>, provider: NonNullable<ModuleMetadata['providers']>[number]): DynamicModule {
    return {
      module: TesseraVerifierModule,
      global,
      imports,
      providers: [provider, TesseraAuthGuard, TesseraRolesGuard],
      exports: [TESSERA_VERIFIER, TesseraAuthGuard, TesseraRolesGuard],
    };
  }

  onModuleDestroy(): void {
    this.verifier.close();
  }
}
