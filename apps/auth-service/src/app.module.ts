import { DynamicModule, Global, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule, Params as LoggingParams } from 'nestjs-pino';
import { DataSourceOptions } from 'typeorm';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { AppError } from './common/app-error';
import { validationDetails } from './common/validation-details';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { DataDirLockedError } from './database/data-dir-lock';
import { createDataSource, runMigrations } from './database/data-source';
import { HealthModule } from './health/health.module';
import { InfraModule } from './infra/infra.module';
import { prepareSigningKeys } from './keys/key-material';
import { KeysModule } from './keys/keys.module';
import { RevocationsModule } from './revocations/revocations.module';
import { OAuthModule } from './oauth/oauth.module';
import { MetricsModule } from './infra/metrics.module';
import { BodylessRoutesGuard } from './common/bodyless-routes.guard';

@Global()
@Module({})
class ConfigHolderModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigHolderModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

@Module({})
export class AppModule {
  /** The whole service for one validated configuration (tests pass their own; main passes the environment's). */
  static forRoot(config: AppConfig, logging: LoggingParams): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigHolderModule.forRoot(config),
        LoggerModule.forRoot(logging),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ type: 'postgres', autoLoadEntities: true, synchronize: false, retryAttempts: config.db.driver === 'postgres' ? 5 : 1, retryDelay: 2000, toRetry: (error: unknown) => !(error instanceof DataDirLockedError) && config.db.driver === 'postgres' }),
          dataSourceFactory: async (options?: DataSourceOptions) => {
            // A new embedded DATA_DIR: its first two signing keys are generated while PGlite opens it.
            const dataSource = await createDataSource(config, options?.entities as never, { onClusterCreated: () => prepareSigningKeys(config.tokens.algorithm, 2) });
            try {
              await runMigrations(dataSource, config);
            } catch (error) {
              await dataSource.destroy();
              throw error;
            }
            return dataSource;
          },
        }),
        InfraModule,
        MetricsModule,
        KeysModule,
        AuthModule,
        OAuthModule,
        AdminModule,
        HealthModule,
        RevocationsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_GUARD, useClass: BodylessRoutesGuard },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            stopAtFirstError: true,
            exceptionFactory: (errors) => new AppError('validation_failed', 'Request validation failed', validationDetails(errors)),
          }),
        },
      ],
    };
  }
}
