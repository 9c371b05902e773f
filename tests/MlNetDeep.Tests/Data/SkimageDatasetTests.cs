using System.Globalization;
using MlNetDeep.Data;
using SkiaSharp;

namespace MlNetDeep.Tests.Data;

/// <summary>The coins photo with its classically made mask and boxes, and the LFW face/non-face crops (datasets/README.md).</summary>
public sealed class SkimageDatasetTests
{
    /// <summary>24 coins: every box holds exactly the mask's pixels of one coin, and nothing of the mask lies outside the boxes.</summary>
    [Test]
    public void TheCoinsMaskAndBoxesDescribeTheSame24Coins()
    {
        var dir = DatasetPaths.Find("coins");
        using var photo = SKBitmap.Decode(Path.Combine(dir, "coins.png"));
        using var mask = SKBitmap.Decode(Path.Combine(dir, "coins-mask.png"));
        Assert.That((photo.Width, photo.Height), Is.EqualTo((384, 303)));
        Assert.That((mask.Width, mask.Height), Is.EqualTo((384, 303)));
        var lines = File.ReadAllLines(Path.Combine(dir, "coins-boxes.csv"));
        Assert.That(lines[0], Is.EqualTo("label,xmin,ymin,xmax,ymax,pixels"));
        var boxes = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.That(boxes, Has.Length.EqualTo(24));
        var covered = new bool[mask.Width * mask.Height];
        var coinPixels = 0;
        foreach (var b in boxes)
        {
            var (x0, y0, x1, y1, pixels) = (Int(b[1]), Int(b[2]), Int(b[3]), Int(b[4]), Int(b[5]));
            Assert.That(b[0], Is.EqualTo("coin"));
            Assert.That(x0 < x1 && y0 < y1 && x1 <= mask.Width && y1 <= mask.Height, Is.True, string.Join(",", b));
            var inside = 0;
            for (var y = y0; y < y1; y++)
            {
                for (var x = x0; x < x1; x++)
                {
                    covered[(y * mask.Width) + x] = true;
                    inside += IsCoin(mask, x, y) ? 1 : 0;
                }
            }

            // Boxes of round coins do not overlap here, so a box holds its own coin's pixels only.
            Assert.That(inside, Is.EqualTo(pixels), $"box {string.Join(",", b)}");
            Assert.That(pixels, Is.GreaterThan(0.6 * (x1 - x0) * (y1 - y0)), "a coin fills most of its box (π/4 for a disc)");
        }

        for (var y = 0; y < mask.Height; y++)
        {
            for (var x = 0; x < mask.Width; x++)
            {
                if (IsCoin(mask, x, y))
                {
                    coinPixels++;
                    Assert.That(covered[(y * mask.Width) + x], Is.True, $"coin pixel ({x}, {y}) outside every box");
                }
            }
        }

        Assert.That(coinPixels, Is.EqualTo(boxes.Sum(b => Int(b[5]))));
    }

    [Test]
    public void TheLfwSubsetHas100FacesThen100NonFaces()
    {
        var dir = DatasetPaths.Find("lfw-subset");
        var images = Idx.ReadImages(Path.Combine(dir, "images-idx3-ubyte.gz"));
        var labels = Idx.ReadLabels(Path.Combine(dir, "labels-idx1-ubyte.gz"));
        Assert.That(images.ShapeArray(), Is.EqualTo(new[] { 200, 1, 25, 25 }).Or.EqualTo(new[] { 200, 25, 25 }));
        Assert.That(labels, Is.EqualTo(Enumerable.Repeat(1, 100).Concat(Enumerable.Repeat(0, 100)).ToArray()));
        Assert.That(images.Data.Distinct().Count(), Is.GreaterThan(200), "real greyscale crops, not a constant");
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    private static bool IsCoin(SKBitmap mask, int x, int y) => mask.GetPixel(x, y).Red > 127;
}
