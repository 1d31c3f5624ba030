import { Injectable } from '@nestjs/common';
import { RequestContext } from '../common/request-context';
import { PublicUser } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { RegisterDto } from './dto/register.dto';

/** POST /api/auth/register (SPEC §2). */
@Injectable()
export class RegistrationService {
  constructor(private readonly users: UsersService) {}

  register(dto: RegisterDto, context: RequestContext): Promise<PublicUser> {
    return this.users.register({ email: dto.email, password: dto.password, name: dto.name ?? null }, context);
  }
}
