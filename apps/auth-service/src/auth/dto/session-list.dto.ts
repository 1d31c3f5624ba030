import { SessionView } from '../../sessions/sessions.service';

export interface SessionListDto {
  items: SessionView[];
  next_cursor: string | null;
}
