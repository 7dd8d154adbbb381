/** The receipt's print button (a module: the pages allow no inline script). */
document.getElementById('print')?.addEventListener('click', () => window.print());
