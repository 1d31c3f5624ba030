import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UsersService } from './users.service';

export class BootstrapAdminError extends Error {}

/** BOOTSTRAP_ADMIN_EMAIL/PASSWORD: create that admin at start when no admin exists (SPEC §1). */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger('BootstrapAdmin');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.bootstrapAdmin;
    if (!admin) return;
    try {
      const outcome = await this.users.ensureBootstrapAdmin(admin.email, admin.password);
      if (outcome === 'created') this.logger.log(`Created the bootstrap admin ${admin.email}`);
    } catch (error) {
      if (error instanceof Error && /^BOOTSTRAP_ADMIN/.test(error.message)) throw new BootstrapAdminError(error.message);
      throw error;
    }
  }
}
