using System.Xml.Linq;
using SkiaSharp;

namespace MlNetDeep.Tests.Charts;

/// <summary>Reads written charts back: a PNG decoded by SkiaSharp, an SVG parsed as XML with its text elements.</summary>
internal static class ChartFiles
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Decodes a PNG, checking its signature and size.</summary>
    public static SKBitmap Png(byte[] bytes, int width, int height)
    {
        Assert.That(bytes.AsSpan(0, 8).ToArray(), Is.EqualTo(PngSignature), "PNG signature");
        var bitmap = SKBitmap.Decode(bytes);
        Assert.That(bitmap, Is.Not.Null, "the PNG decodes");
        Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((width, height)), "PNG size");
        return bitmap;
    }

    /// <summary>How many pixels are within 8 of <paramref name="colour"/> in each channel.</summary>
    public static int Count(SKBitmap bitmap, SKColor colour)
    {
        var n = 0;
        foreach (var p in bitmap.Pixels)
        {
            if (Math.Abs(p.Red - colour.Red) <= 8 && Math.Abs(p.Green - colour.Green) <= 8 && Math.Abs(p.Blue - colour.Blue) <= 8)
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Parses an SVG document (it must be well-formed XML with an svg root) and returns its texts.</summary>
    public static List<string> SvgTexts(string svg, int width, int height)
    {
        var document = XDocument.Parse(svg);
        Assert.That(document.Root!.Name.LocalName, Is.EqualTo("svg"));
        Assert.That((string?)document.Root.Attribute("width"), Is.EqualTo(width.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That((string?)document.Root.Attribute("height"), Is.EqualTo(height.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return [.. document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim())];
    }
}
