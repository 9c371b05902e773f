using System.Globalization;
using System.Text;
using OxyPlot;
using SkiaSharp;

namespace MlNetDeep.Charts;

/// <summary>
/// A figure: one or more OxyPlot panels side by side, or a raster image (an image or filter grid), written as PNG
/// (SkiaSharp 2.88, the one ML.NET's image transforms use) or SVG. <see cref="Plot"/> makes the curriculum's charts.
/// </summary>
public sealed class Chart
{
    private readonly byte[]? _raster;

    private Chart(IReadOnlyList<PlotModel> panels, int panelWidth, int panelHeight, byte[]? raster)
    {
        Panels = panels;
        PanelWidth = panelWidth;
        PanelHeight = panelHeight;
        _raster = raster;
    }

    /// <summary>The panels, left to right; empty for a raster image.</summary>
    public IReadOnlyList<PlotModel> Panels { get; }

    /// <summary>The width of one panel in pixels (SVG user units); a raster figure's width.</summary>
    public int PanelWidth { get; }

    /// <summary>The height of the figure in pixels.</summary>
    public int PanelHeight { get; }

    /// <summary>The width of the figure in pixels.</summary>
    public int Width => _raster is null ? PanelWidth * Panels.Count : PanelWidth;

    /// <summary>The height of the figure in pixels.</summary>
    public int Height => PanelHeight;

    /// <summary>A figure of <paramref name="panels"/> side by side, each <paramref name="panelWidth"/> × <paramref name="panelHeight"/> pixels.</summary>
    /// <param name="panels">The OxyPlot models; at least one.</param>
    /// <param name="panelWidth">The width of each panel, 64 to 4096 pixels.</param>
    /// <param name="panelHeight">The height of the figure, 64 to 4096 pixels.</param>
    public static Chart Of(IReadOnlyList<PlotModel> panels, int panelWidth = 560, int panelHeight = 380)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0 || panels.Any(p => p is null))
        {
            throw new ArgumentException($"A chart needs at least one panel and no null panel; got {panels.Count} panels.", nameof(panels));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(panelWidth, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(panelWidth, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(panelHeight, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(panelHeight, 4096);
        foreach (var panel in panels)
        {
            // White, not transparent: a PNG on a dark notebook theme must stay readable.
            panel.Background = OxyColors.White;
        }

        return new Chart([.. panels], panelWidth, panelHeight, null);
    }

    /// <summary>A figure of one panel.</summary>
    /// <param name="panel">The OxyPlot model.</param>
    /// <param name="width">The width in pixels.</param>
    /// <param name="height">The height in pixels.</param>
    public static Chart Of(PlotModel panel, int width = 560, int height = 380) => Of([panel], width, height);

    /// <summary>A raster figure from RGB planes <c>[3, height, width]</c> with values in [0, 1] (clamped; NaN is black).</summary>
    internal static Chart FromRgb(ReadOnlySpan<float> rgb, int height, int width)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var plane = height * width;
        var pixels = new SKColor[plane];
        for (var i = 0; i < plane; i++)
        {
            pixels[i] = new SKColor(Byte(rgb[i]), Byte(rgb[plane + i]), Byte(rgb[(2 * plane) + i]));
        }

        bitmap.Pixels = pixels;
        return new Chart([], width, height, Encode(bitmap));
    }

    /// <summary>The figure as a PNG file's bytes.</summary>
    public byte[] ToPng()
    {
        if (_raster is not null)
        {
            return (byte[])_raster.Clone();
        }

        if (Panels.Count == 1)
        {
            return PanelPng(Panels[0]);
        }

        using var figure = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(figure))
        {
            canvas.Clear(SKColors.White);
            for (var i = 0; i < Panels.Count; i++)
            {
                using var panel = SKBitmap.Decode(PanelPng(Panels[i]));
                canvas.DrawBitmap(panel, i * PanelWidth, 0);
            }
        }

        return Encode(figure);
    }

    /// <summary>The figure as an SVG document (a raster figure embeds its PNG).</summary>
    public string ToSvg()
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\">\n");
        if (_raster is not null)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<image width=\"{Width}\" height=\"{Height}\" xlink:href=\"data:image/png;base64,{Convert.ToBase64String(_raster)}\"/>\n");
        }

        for (var i = 0; i < Panels.Count; i++)
        {
            var panel = SvgExporter.ExportToString(Panels[i], PanelWidth, PanelHeight, isDocument: false);

            // Every panel names its clip paths clipPath1, clipPath2, ...: give each panel its own ids.
            panel = panel.Replace("id=\"clipPath", $"id=\"p{i}clipPath", StringComparison.Ordinal)
                .Replace("url(#clipPath", $"url(#p{i}clipPath", StringComparison.Ordinal);
            // The exporter writes an XML declaration even for a fragment: keep the svg element only, placed at its column.
            var open = panel.IndexOf("<svg ", StringComparison.Ordinal);
            svg.Append(CultureInfo.InvariantCulture, $"<svg x=\"{i * PanelWidth}\" y=\"0\" ").Append(panel, open + 5, panel.Length - open - 5).Append('\n');
        }

        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>
    /// Writes the figure to <paramref name="path"/>, as PNG or SVG by the file's extension (<c>.png</c>, <c>.svg</c>);
    /// the folder must exist. Written to a temporary file first, so a failure leaves any previous file intact.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <exception cref="ArgumentException">The extension is neither .png nor .svg (the message names the path).</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        byte[] bytes = extension switch
        {
            ".png" => ToPng(),
            ".svg" => Encoding.UTF8.GetBytes(ToSvg()),
            _ => throw new ArgumentException($"A chart is written as .png or .svg; '{path}' has the extension '{extension}'.", nameof(path)),
        };
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The folder '{folder}' for the chart '{path}' does not exist.");
        }

        var temporary = full + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>An HTML <c>img</c> element holding the PNG (what notebooks display).</summary>
    public string ToHtml() =>
        $"<img src=\"data:image/png;base64,{Convert.ToBase64String(ToPng())}\" width=\"{Width}\" height=\"{Height}\" alt=\"{System.Net.WebUtility.HtmlEncode(Describe())}\"/>";

    /// <summary>The panels' titles, or the raster's size.</summary>
    public override string ToString() => Describe();

    private string Describe() => _raster is not null
        ? $"image {Width} × {Height}"
        : string.Join(" | ", Panels.Select(p => p.Title ?? string.Empty));

    private byte[] PanelPng(PlotModel model)
    {
        // Text shaping would need the HarfBuzz native library, which no SkiaSharp 2.88 Linux package brings.
        var exporter = new OxyPlot.SkiaSharp.PngExporter { Width = PanelWidth, Height = PanelHeight, UseTextShaping = false };
        using var stream = new MemoryStream();
        exporter.Export(model, stream);
        return stream.ToArray();
    }

    private static byte[] Encode(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte Byte(float v) => float.IsNaN(v) ? (byte)0 : (byte)MathF.Round(Math.Clamp(v, 0f, 1f) * 255f);
}
