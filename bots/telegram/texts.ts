// How Telegram shows user-derived text. Every message and caption we send is plain text: no
// parse_mode anywhere (Markdown or HTML would turn a file name's `[x](https://...)` or `<a>`
// into a disguised link), so nothing in the text can become an entity but what Telegram itself
// recognises and shows as it is (a visible URL, a @mention). What remains to remove are the
// invisible format characters that reorder or hide what the user reads.
import { stripFormatChars, type UserText } from '../texts.js';

/** The one way user-derived text (file names, PDF titles, error details) goes into a Telegram message. */
export const telegramUserText: UserText = (userDerived) => stripFormatChars(userDerived);
