import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TesseraVerifierModule } from '@tessera/verifier/nest';
import { ApiController, HealthController } from './api.controller';
import { ExampleApiConfig } from './config';
import { ErrorFilter } from './error.filter';

@Module({})
export class ExampleApiModule {
  static forRoot(config: ExampleApiConfig): DynamicModule {
    return {
      module: ExampleApiModule,
      imports: [TesseraVerifierModule.forRoot(config.verifier)],
      controllers: [ApiController, HealthController],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
