using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Formatting;
using MlNetDeep.Charts;
using MlNetDeep.Interactive;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Tests.Charts;

/// <summary>
/// After <see cref="NotebookFormatters.Register"/>, what .NET Interactive shows as HTML: a report as a table with its
/// confusion matrix, a history as its curves, image tensors as pictures, other tensors as their shape.
/// </summary>
[NonParallelizable]
public partial class NotebookFormatterTests
{
    [OneTimeSetUp]
    public void Register() => NotebookFormatters.Register();

    [OneTimeTearDown]
    public void Reset() => Formatter.ResetToDefault();

    [Test]
    public void AReportIsATableBesideItsConfusionMatrix()
    {
        var report = ClassificationReport.Compute([0, 0, 1, 1], [0, 1, 1, 1], ["cat", "dog"]);

        var html = Formatter.ToDisplayString(report, "text/html");

        Assert.That(html, Does.Contain("<table").And.Contain("<th>precision</th>").And.Contain("<td>cat</td>").And.Contain("macro average"));
        Assert.That(html, Does.Contain("<td>0.6667</td>"), "dog's precision 2/3");
        Assert.That(html, Does.Contain("75.00 %"), "the accuracy");
        Assert.That(Pngs(html), Has.Count.EqualTo(1), "the confusion matrix");
    }

    [Test]
    public void AHistoryIsItsCurvesAndAChartAPicture()
    {
        var history = new TrainingHistory();
        history.Add(new EpochResult(1, 2.0, 0.5, 2.1, 0.4, 0.01f, 1));
        history.Add(new EpochResult(2, 1.0, 0.7, 1.5, 0.6, 0.01f, 1));

        Assert.That(Pngs(Formatter.ToDisplayString(history, "text/html")), Has.Count.EqualTo(1));
        Assert.That(Pngs(Formatter.ToDisplayString(Plot.TrainingCurves(history), "text/html")), Has.Count.EqualTo(1));
        Assert.That(Pngs(Formatter.ToDisplayString(Plot.Model("empty"), "text/html")), Has.Count.EqualTo(1), "an OxyPlot model");
    }

    [Test]
    public void AnImageTensorIsAPictureAndOtherTensorsTheirShape()
    {
        var images = new Tensor(100, 1, 8, 8);
        images.Fill(0.5f);

        var html = Formatter.ToDisplayString(images, "text/html");
        Assert.That(Pngs(html), Has.Count.EqualTo(1));
        Assert.That(html, Does.Contain($"the first {NotebookFormatters.MaxImages} of 100 images"));

        var matrix = Formatter.ToDisplayString(new Tensor(4, 7), "text/html");
        Assert.That(Pngs(matrix), Is.Empty);
        Assert.That(matrix, Does.Contain("Tensor[4, 7]"));
    }

    // The PNGs embedded as data URIs, each checked to decode.
    private static List<byte[]> Pngs(string html)
    {
        var pngs = DataUri().Matches(html).Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
        foreach (var png in pngs)
        {
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.That(bitmap, Is.Not.Null, "an embedded PNG decodes");
        }

        return pngs;
    }

    [GeneratedRegex("data:image/png;base64,([A-Za-z0-9+/=]+)")]
    private static partial Regex DataUri();
}
