import { PublicUser } from '../../users/user.entity';

/** RFC 6749 §5.1, plus the refresh token's lifetime and the user. */
export interface TokenResponseDto {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  user: PublicUser;
}

export interface UserResponseDto {
  user: PublicUser;
}
