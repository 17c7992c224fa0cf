// The printable materials checklist: the 打印 button (no inline handlers under the CSP).
import { decorateIcons } from './chat-core.js';

decorateIcons();
const button = document.getElementById('btn-print');
if (button) button.addEventListener('click', () => window.print());
