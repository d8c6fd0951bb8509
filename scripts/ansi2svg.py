#!/usr/bin/env python3
"""Turn a terminal capture with colours (`tmux capture-pane -e -p`) into an SVG picture:
one cell per character on a fixed grid, background rectangles, text runs with per-glyph x
positions (so columns line up whatever the font), xterm's 256-colour palette.

    scripts/ansi2svg.py CAPTURE.ans OUT.svg [--cols N] [--rows N] [--title TEXT]

Standard library only (the machine has no PIL); rsvg-convert makes the PNG."""
import argparse
import html
import re
import unicodedata

FONT = 14.0
CELL_W, CELL_H = FONT * 0.6021, 17.0  # DejaVu Sans Mono advances 0.602 em
PAD = 12
DEFAULT_FG, DEFAULT_BG = "#d7dae0", "#1b1d23"
BASE16 = ["#1b1d23", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#d7dae0",
          "#5c6370", "#ff7a85", "#b5e890", "#ffd68a", "#8cc8ff", "#e09cff", "#7fdbe6", "#ffffff"]


def palette(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.italic, self.underline, self.reverse)

    def apply(self, params):
        ps = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = palette(p - 30)
            elif 90 <= p <= 97:
                self.fg = palette(p - 90 + 8)
            elif 40 <= p <= 47:
                self.bg = palette(p - 40)
            elif 100 <= p <= 107:
                self.bg = palette(p - 100 + 8)
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    c = palette(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    c = "#%02x%02x%02x" % tuple(ps[i + 2:i + 5])
                    i += 4
                else:
                    c = None
                if p == 38:
                    self.fg = c
                else:
                    self.bg = c
            i += 1


def parse(text, cols, rows):
    grid = [[(" ", Style().key()) for _ in range(cols)] for _ in range(rows)]
    st = Style()
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        for m in re.finditer(r"\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|(.)", line, re.S):
            if m.group(2) is None:
                if m.group(0).endswith("m"):
                    st.apply(m.group(1))
                continue
            ch = m.group(2)
            w = width(ch)
            if w == 0 or x >= cols:
                continue
            grid[y][x] = (ch, st.key())
            if w == 2 and x + 1 < cols:
                grid[y][x + 1] = ("", st.key())
            x += w
        # A row ncurses finished with "clear to end of line" in a colour: tmux does not list
        # those cells, but the terminal paints them (back colour erase), so paint them too.
        # (Only rows that printed something: tmux lists an empty row as nothing at all.)
        if x > 0 and (st.bg is not None or st.reverse):
            for rest in range(x, cols):
                grid[y][rest] = (" ", st.key())
    return grid


def colours(key):
    fg, bg, bold, dim, italic, underline, reverse = key
    fg, bg = fg or DEFAULT_FG, bg or DEFAULT_BG
    if reverse:
        fg, bg = bg, fg
    return fg, bg


def render(grid, cols, rows, title):
    top = PAD + (26 if title else 0)
    w = int(cols * CELL_W + 2 * PAD)
    h = int(rows * CELL_H + top + PAD)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">'
           % (w, h, w, h),
           '<rect width="100%%" height="100%%" rx="8" fill="%s"/>' % DEFAULT_BG]
    if title:
        out.append('<text x="%d" y="%d" font-family="DejaVu Sans, sans-serif" font-size="13" '
                   'fill="#8b93a1">%s</text>' % (PAD, PAD + 13, html.escape(title)))
    for y, row in enumerate(grid):
        x = 0
        while x < cols:  # background runs
            bg = colours(row[x][1])[1]
            s = x
            while x < cols and colours(row[x][1])[1] == bg:
                x += 1
            if bg != DEFAULT_BG:
                out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                           % (PAD + s * CELL_W, top + y * CELL_H, (x - s) * CELL_W + 0.5,
                              CELL_H + 0.5, bg))
        x = 0
        while x < cols:  # text runs of one style; a wide character gets its own element
            key = row[x][1]
            fg = colours(key)[0]
            attrs = ""
            if key[2]:
                attrs += ' font-weight="bold"'
            if key[3]:
                attrs += ' opacity="0.6"'
            if key[4]:
                attrs += ' font-style="italic"'
            if key[5]:
                attrs += ' text-decoration="underline"'
            s = x
            chars = []
            while x < cols and row[x][1] == key:
                ch = row[x][0]
                if ch and width(ch) == 2:
                    break
                chars.append(ch if ch else "")
                x += 1
            wide = x < cols and row[x][1] == key and row[x][0] and width(row[x][0]) == 2
            text = "".join(chars)
            if text.strip():
                out.append('<text x="%.2f" y="%.1f" fill="%s"%s>%s</text>'
                           % (PAD + s * CELL_W, top + y * CELL_H + CELL_H * 0.78, fg, attrs,
                              html.escape(text)))
            if wide:
                out.append('<text x="%.2f" y="%.1f" fill="%s"%s>%s</text>'
                           % (PAD + x * CELL_W, top + y * CELL_H + CELL_H * 0.78, fg, attrs,
                              html.escape(row[x][0])))
                x += 2
    out.append("</svg>")
    # One font for all text (set once on a group, which rsvg honours).
    body = "\n".join(out[2:-1])
    head = "\n".join(out[:2])
    return "%s\n<g font-family=\"DejaVu Sans Mono, monospace\" font-size=\"%.1f\" " \
           "xml:space=\"preserve\">\n%s\n</g>\n</svg>\n" % (head, FONT, body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--cols", type=int, default=120)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    with open(a.capture, encoding="utf-8", errors="replace") as f:
        text = f.read()
    with open(a.out, "w", encoding="utf-8") as f:
        f.write(render(parse(text, a.cols, a.rows), a.cols, a.rows, a.title))


if __name__ == "__main__":
    main()
