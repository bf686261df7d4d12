"""Draw the installable app's PNG icons from the favicon's shapes and colours (Pillow).

Run once: `.venv/bin/python scripts/draw_app_icons.py`; the PNGs are committed under
static/img/app/. The maskable icon keeps the drawing inside the 80 % safe zone.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 92, 173, 255)  # #0b5cad, the favicon's and the app's accent
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "img" / "app"


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=BLUE)  # full bleed: the platform cuts its shape
        inner, offset = big * 0.8, big * 0.1
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 6 / 32, fill=BLUE)
        inner, offset = big, 0

    def at(x: float, y: float) -> tuple[float, float]:
        return (offset + x / 32 * inner, offset + y / 32 * inner)

    width = round(3 / 32 * inner)
    for line in (((9, 23), (23, 9)), ((19, 9), (23, 9), (23, 13)), ((11, 17), (15, 21))):
        points = [at(*p) for p in line]
        pen.line(points, fill=WHITE, width=width, joint="curve")
        for x, y in points:  # round caps
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
        draw(size, maskable=True).save(OUT / f"icon-maskable-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
