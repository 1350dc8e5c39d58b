#!/usr/bin/env bash
# Generate the PBX's built-in sounds: spoken prompts for every language that
# has a text file in scripts/sounds/ (<lang>.txt, `name|text` lines), and
# music on hold. Output, all 8 kHz mono 16-bit PCM WAV:
#
#   OUT/<lang>/<name>.wav       prompts (espeak-ng, converted with sox)
#   OUT/moh/default/*.wav       music on hold, synthesised with sox
#   OUT/moh/opsound/*.wav       with --with-opsound only: links to Debian's
#                               asterisk-moh-opsound-wav (CC BY-SA 3.0)
#
# Usage: scripts/build-sounds.sh [--with-opsound] [OUT]   (OUT: ./sounds)
#        SOUNDS_TEXTS=DIR scripts/build-sounds.sh ...     (texts from DIR)
#
# Idempotent: each output folder keeps a .manifest of what made every file
# (text, voice, speed, padding, pipeline version); a file whose recipe is
# unchanged is not regenerated, one whose line changed is, and one
# whose line was removed is deleted. A second run takes well under a second.
# Installs espeak-ng and sox from Debian when missing (root or sudo).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The text files; SOUNDS_TEXTS points elsewhere (e.g. an admin's own set).
TEXTS="${SOUNDS_TEXTS:-$ROOT/scripts/sounds}"
# Bump when the way files are made changes: every file is then regenerated.
PIPELINE=1
# Telephony level: peaks at -3 dBFS for speech and tones, -6 dBFS for music.
SPEECH_PEAK_DB=-3

with_opsound=0
OUT=""
for arg in "$@"; do
    case "$arg" in
        --with-opsound) with_opsound=1 ;;
        -h | --help)
            sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        -*)
            echo "build-sounds: unknown option $arg (see --help)" >&2
            exit 2
            ;;
        *)
            [ -z "$OUT" ] || {
                echo "build-sounds: one output folder only (got $OUT and $arg)" >&2
                exit 2
            }
            OUT="$arg"
            ;;
    esac
done
OUT="${OUT:-$ROOT/sounds}"

# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
packages=(espeak-ng sox)
[ "$with_opsound" -eq 1 ] && packages+=(asterisk-moh-opsound-wav)
apt_ensure build-sounds "${packages[@]}" >/dev/null

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

made=0
kept=0
removed=0

# --- manifests -------------------------------------------------------------
# One per output folder: "name<TAB>recipe" lines, where the recipe is
# everything that shaped the file (pipeline version, voice, speed, padding,
# text). Kept as plain text rather than hashed, so a warm run forks nothing
# per prompt. Read into `old`; the new one is built in `new` and written
# (atomically) once the folder is done.
declare -A old new

manifest_load() {
    old=()
    new=()
    local name recipe
    if [ -f "$1/.manifest" ]; then
        while IFS=$'\t' read -r name recipe; do
            [ -n "$name" ] && old[$name]="$recipe"
        done <"$1/.manifest"
    fi
}

manifest_save() {
    local dir="$1" name
    for name in "${!old[@]}"; do
        if [ -z "${new[$name]+x}" ] && [ -f "$dir/$name.wav" ]; then
            rm -f "$dir/$name.wav"
            removed=$((removed + 1))
        fi
    done
    for name in "${!new[@]}"; do
        printf '%s\t%s\n' "$name" "${new[$name]}"
    done | sort >"$dir/.manifest.tmp"
    # Rewritten only when it changed, so a warm run touches no file.
    if cmp -s "$dir/.manifest.tmp" "$dir/.manifest"; then
        rm "$dir/.manifest.tmp"
    else
        mv "$dir/.manifest.tmp" "$dir/.manifest"
    fi
}

# up_to_date DIR NAME RECIPE: records the recipe; true when the file is current.
up_to_date() {
    new[$2]="$3"
    if [ -f "$1/$2.wav" ] && [ "${old[$2]:-}" = "$3" ]; then
        kept=$((kept + 1))
        return 0
    fi
    made=$((made + 1))
    return 1
}

# --- makers ----------------------------------------------------------------
# Each writes a temporary file and renames it, so an interrupted run never
# leaves half a file under a final name.

# speak OUTFILE VOICE SPEED LEAD TAIL TEXT
speak() {
    local out="$1" voice="$2" speed="$3" lead="$4" tail="$5" text="$6"
    espeak-ng -v "$voice" -s "$speed" -w "$WORK/raw.wav" -- "$text"
    # Trim the synthesiser's own silence at both ends, then pad to the
    # folder's consistent lead-in and tail; normalise the peak level.
    sox "$WORK/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$out.tmp.wav" \
        silence 1 0.005 0.3% reverse silence 1 0.005 0.3% reverse \
        norm "$SPEECH_PEAK_DB" pad "$lead" "$tail"
    mv "$out.tmp.wav" "$out"
}

# tone OUTFILE HZ MS LEAD TAIL
tone() {
    local out="$1" hz="$2" ms="$3" lead="$4" tail="$5"
    local secs
    secs="$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    sox -n -r 8000 -c 1 -b 16 -e signed-integer "$out.tmp.wav" \
        synth "$secs" sine "$hz" norm "$SPEECH_PEAK_DB" fade t 0.005 "$secs" 0.005 \
        pad "$lead" "$tail"
    mv "$out.tmp.wav" "$out"
}

# --- prompts of one language -------------------------------------------------

fail_line() {
    echo "build-sounds: $1:$2: $3" >&2
    exit 1
}

# (fail_line only reports the file's name: SC2094 does not apply.)
# shellcheck disable=SC2094
build_language() {
    local file="$1" lang dir
    lang="$(basename "$file" .txt)"
    dir="$OUT/$lang"
    mkdir -p "$dir"
    manifest_load "$dir"
    local voice="$lang" speed=150 lead=0.15 tail=0.25 lineno=0 line name text recipe
    local -A seen=()
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        line="${line%$'\r'}"
        case "$line" in
            '' | '#'*) continue ;;
            '@voice '*)
                voice="${line#@voice }"
                espeak-ng -v "$voice" -q -- x >/dev/null 2>&1 ||
                    fail_line "$file" "$lineno" "espeak-ng has no voice '$voice' ('espeak-ng --voices' lists them)"
                ;;
            '@speed '*) speed="${line#@speed }" ;;
            '@pad '*)
                read -r lead tail <<<"${line#@pad }"
                [[ "$lead" =~ ^[0-9.]+$ && "$tail" =~ ^[0-9.]+$ ]] ||
                    fail_line "$file" "$lineno" "@pad needs two durations in seconds, e.g. '@pad 0.15 0.25'"
                ;;
            '@'*) fail_line "$file" "$lineno" "unknown directive; use @voice, @speed or @pad" ;;
            *'|'*)
                name="${line%%|*}"
                text="${line#*|}"
                [[ "$name" =~ ^[a-z0-9_-]{1,64}$ ]] ||
                    fail_line "$file" "$lineno" "prompt name '$name' must be 1-64 characters of a-z, 0-9, '-' and '_'"
                [ -n "$text" ] || fail_line "$file" "$lineno" "prompt '$name' has no text"
                [ -z "${seen[$name]+x}" ] || fail_line "$file" "$lineno" "prompt '$name' is defined twice"
                seen[$name]=1
                recipe="$PIPELINE|$voice|$speed|$lead|$tail|$text"
                up_to_date "$dir" "$name" "$recipe" && continue
                if [[ "$text" == '@tone '* ]]; then
                    local hz ms
                    read -r hz ms <<<"${text#@tone }"
                    [[ "$hz" =~ ^[0-9]+$ && "$ms" =~ ^[0-9]+$ ]] ||
                        fail_line "$file" "$lineno" "@tone needs a frequency in Hz and a length in ms, e.g. '@tone 1000 250'"
                    tone "$dir/$name.wav" "$hz" "$ms" "$lead" "$tail"
                else
                    speak "$dir/$name.wav" "$voice" "$speed" "$lead" "$tail" "$text"
                fi
                ;;
            *) fail_line "$file" "$lineno" "expected 'name|text' or a directive" ;;
        esac
    done <"$file"
    manifest_save "$dir"
}

# --- music on hold -----------------------------------------------------------
# A gentle 24 s loop: eight bars of a I-vi-IV-V progression in C, each a soft
# sustained chord under a plucked arpeggio, synthesised (no samples, so no
# third-party licence). Each bar fades out briefly, so the loop joins cleanly.

MOH_BARS=(
    "C3 E3 G3 | C4 E4 G4 C5 G4 E4 C4 G3"
    "A2 C3 E3 | A3 C4 E4 A4 E4 C4 A3 E3"
    "F2 A2 C3 | F3 A3 C4 F4 C4 A3 F3 C3"
    "G2 B2 D3 | G3 B3 D4 G4 D4 B3 G3 D3"
    "C3 E3 G3 | E4 G4 C5 E5 C5 G4 E4 C4"
    "A2 C3 E3 | C4 E4 A4 C5 A4 E4 C4 A3"
    "D3 F3 A3 | D4 F4 A4 D5 A4 F4 D4 A3"
    "G2 B2 D3 | B3 D4 G4 B4 G4 D4 B3 G3"
)
MOH_BAR_SECONDS=3

# moh_bar OUTFILE "PAD PAD PAD | NOTE..."
moh_bar() {
    local out="$1" pad="${2%%|*}" notes="${2#*|}"
    local specs=() delays=() mix="" ch=0 i=0 n
    for n in $pad; do
        specs+=(sine "%$(note_offset "$n")")
        delays+=(0)
        ch=$((ch + 1))
        mix+="${mix:+,}${ch}v0.05"
    done
    for n in $notes; do
        specs+=(pluck "%$(note_offset "$n")")
        delays+=("$(awk -v i="$i" -v b="$MOH_BAR_SECONDS" 'BEGIN { printf "%.3f", i * b / 8 }')")
        ch=$((ch + 1))
        i=$((i + 1))
        mix+=",${ch}v0.18"
    done
    # pluck only synthesises at 44.1-48 kHz; sox resamples to 8 kHz on output.
    sox -r 44100 -c "$ch" -n -r 8000 -c 1 -b 16 -e signed-integer "$out" \
        synth "$MOH_BAR_SECONDS" "${specs[@]}" delay "${delays[@]}" \
        remix "$mix" trim 0 "$MOH_BAR_SECONDS" fade t 0.02 "$MOH_BAR_SECONDS" 0.15
}

# Semitones from A4 (sox's `%N` pitch notation), from a note name like C#4.
note_offset() {
    local name="$1" letter="${1:0:1}" rest="${1:1}" acc=0 octave semis
    case "$rest" in
        '#'*) acc=1 rest="${rest:1}" ;;
        b*) acc=-1 rest="${rest:1}" ;;
    esac
    octave="$rest"
    case "$letter" in
        C) semis=-9 ;; D) semis=-7 ;; E) semis=-5 ;; F) semis=-4 ;;
        G) semis=-2 ;; A) semis=0 ;; B) semis=2 ;;
        *) echo "build-sounds: bad note $name" >&2; exit 1 ;;
    esac
    echo $((semis + acc + 12 * (octave - 4)))
}

build_moh() {
    local dir="$OUT/moh/default" recipe
    mkdir -p "$dir"
    manifest_load "$dir"
    recipe="$PIPELINE|$MOH_BAR_SECONDS|${MOH_BARS[*]}"
    if ! up_to_date "$dir" chords "$recipe"; then
        local bars=() i=0 bar
        for bar in "${MOH_BARS[@]}"; do
            moh_bar "$WORK/bar$i.wav" "$bar"
            bars+=("$WORK/bar$i.wav")
            i=$((i + 1))
        done
        sox "${bars[@]}" -r 8000 -c 1 -b 16 -e signed-integer "$dir/chords.tmp.wav" norm -6
        mv "$dir/chords.tmp.wav" "$dir/chords.wav"
    fi
    manifest_save "$dir"
}

# Debian's asterisk-moh-opsound-wav (five tracks, CC BY-SA 3.0, 8 kHz mono):
# linked, not copied, so they stay the package's files under its licence.
link_opsound() {
    local src=/usr/share/asterisk/moh dir="$OUT/moh/opsound" f
    mkdir -p "$dir"
    for f in "$src"/*.wav; do
        [ -e "$f" ] || {
            echo "build-sounds: no WAV files in $src; is asterisk-moh-opsound-wav installed?" >&2
            exit 1
        }
        ln -sf "$f" "$dir/$(basename "$f")"
    done
}

start=$(date +%s%N)
shopt -s nullglob
texts=("$TEXTS"/*.txt)
[ "${#texts[@]}" -gt 0 ] || {
    echo "build-sounds: no text files in $TEXTS (expected en.txt)" >&2
    exit 1
}
for f in "${texts[@]}"; do
    build_language "$f"
done
build_moh
[ "$with_opsound" -eq 1 ] && link_opsound
ms=$((($(date +%s%N) - start) / 1000000))
echo "build-sounds: $OUT: $made made, $kept up to date, $removed removed (${ms} ms)"
