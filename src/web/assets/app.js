// Progressive enhancement only: every page works without this file.
// "/" jumps to the search field on pages that have one (unless typing in a field already).
document.addEventListener('keydown', function (e) {
  var search = document.querySelector('input[type="search"]');
  var t = e.target;
  if (e.key !== '/' || !search || e.ctrlKey || e.metaKey || e.altKey) return;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
  e.preventDefault();
  search.focus();
});
