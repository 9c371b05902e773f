namespace MlNetDeep.Vision;

/// <summary>
/// Bilinear resampling under an affine map about the image centre, shared by rotation, scaling and translation:
/// output pixel (x, y) reads the input at (cx + a·(x−cx) + b·(y−cy) + tx, cy + c·(x−cx) + d·(y−cy) + ty);
/// positions outside the image read <c>fill</c>.
/// </summary>
internal static class AffineSampler
{
    public static void Warp(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape,
        double a, double b, double c, double d, double tx, double ty, float fill)
    {
        var (h, w) = (shape.Height, shape.Width);
        var cx = (w - 1) / 2.0;
        var cy = (h - 1) / 2.0;
        for (var ch = 0; ch < shape.Channels; ch++)
        {
            var plane = source.Slice(ch * shape.PlaneLength, shape.PlaneLength);
            var output = destination.Slice(ch * shape.PlaneLength, shape.PlaneLength);
            for (var y = 0; y < h; y++)
            {
                var dy = y - cy;
                for (var x = 0; x < w; x++)
                {
                    var dx = x - cx;
                    var sx = cx + (a * dx) + (b * dy) + tx;
                    var sy = cy + (c * dx) + (d * dy) + ty;
                    output[(y * w) + x] = Sample(plane, h, w, sx, sy, fill);
                }
            }
        }
    }

    private static float Sample(ReadOnlySpan<float> plane, int h, int w, double x, double y, float fill)
    {
        if (x <= -1 || y <= -1 || x >= w || y >= h)
        {
            return fill;
        }

        var x0 = (int)Math.Floor(x);
        var y0 = (int)Math.Floor(y);
        var fx = (float)(x - x0);
        var fy = (float)(y - y0);
        var v00 = At(plane, h, w, x0, y0, fill);
        var v01 = fx == 0 ? 0f : At(plane, h, w, x0 + 1, y0, fill);
        var v10 = fy == 0 ? 0f : At(plane, h, w, x0, y0 + 1, fill);
        var v11 = fx == 0 || fy == 0 ? 0f : At(plane, h, w, x0 + 1, y0 + 1, fill);
        var top = fx == 0 ? v00 : ((1 - fx) * v00) + (fx * v01);
        var bottom = fx == 0 ? v10 : ((1 - fx) * v10) + (fx * v11);
        return fy == 0 ? top : ((1 - fy) * top) + (fy * bottom);
    }

    private static float At(ReadOnlySpan<float> plane, int h, int w, int x, int y, float fill) =>
        (uint)x < (uint)w && (uint)y < (uint)h ? plane[(y * w) + x] : fill;
}
