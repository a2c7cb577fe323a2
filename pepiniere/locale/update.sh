#!/usr/bin/env bash
# Refresh the English catalogue from the French source strings, compile it,
# and report what is left to translate.
#
#   bash pepiniere/locale/update.sh            # extract + compile + report
#   bash pepiniere/locale/update.sh --check    # report only (exit 1 if anything is left)
#
# After running, fill in every empty msgstr (and review every "#, fuzzy"
# entry, fix its msgstr, then delete the "fuzzy" flag and the "#|" lines) in
#   pepiniere/locale/en/LC_MESSAGES/django.po
# then run this script again so that django.mo (committed) is rebuilt.
# Needs GNU gettext (msgmerge, msgfmt, msgattrib): apt-get install gettext
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
po="pepiniere/locale/en/LC_MESSAGES/django.po"
manage=".venv/bin/pepiniere"
[ -x "$manage" ] || manage="python -m pepiniere.manage"

if [ "${1:-}" != "--check" ]; then
    $manage makemessages -l en \
        --ignore ".venv/*" --ignore "bench/*" --ignore "*/tests*/*" \
        --no-location
    # --ignore keeps compilemessages out of .venv (it would otherwise
    # recompile the .po files of installed packages).
    $manage compilemessages -l en --ignore ".venv/*" --ignore "bench/*"
fi

stats="$(msgfmt -c --statistics -o /dev/null "$po" 2>&1)"
echo "$po: $stats"

untranslated=$(echo "$stats" | grep -o '[0-9]* untranslated' | grep -o '[0-9]*' || echo 0)
fuzzy=$(echo "$stats" | grep -o '[0-9]* fuzzy' | grep -o '[0-9]*' || echo 0)
echo "untranslated: $untranslated, fuzzy: $fuzzy"

if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
    list() {  # print each msgid on one line, header excluded
        awk '/^msgid /{on=1; id=""} /^(msgstr|msgid_plural)/{if (on && id != "") print "  '"$1"': " id; on=0}
             on{sub(/^msgid /, ""); gsub(/^"|"$/, ""); id = id $0}'
    }
    echo
    echo "To translate or review in $po:"
    msgattrib --untranslated --no-obsolete "$po" | list untranslated
    msgattrib --only-fuzzy --no-obsolete "$po" | list fuzzy
    exit 1
fi
