using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MlNetDeep.Tests.Packaging;

/// <summary>
/// What a user gets from the packages: every project packs with one version, the MIT licence, the README and XML docs;
/// MlNetDeep.ML forces no platform's SkiaSharp native on its users; the CLI is a dotnet tool named mlnetdeep. A fresh
/// console app that takes the packages from a folder feed builds and runs the README's ML.NET pipeline snippet, and the
/// tool installs and, on the user's own data (a CSV, an image folder, MNIST's files), trains, evaluates, predicts and
/// runs a hyper-parameter search.
/// </summary>
[NonParallelizable]
public partial class PackedFeedTests
{
    private static readonly string Root = RepositoryRoot();
    private string _work = null!;
    private string _version = null!;

    [OneTimeSetUp]
    public void Pack()
    {
        _work = Directory.CreateTempSubdirectory("mlnetdeep-feed-").FullName;

        // A version of its own, so that NuGet's global cache never serves an older pack of the same number.
        _version = $"0.9.0-feedtest.{Guid.NewGuid():N}"[..24];
        Run("dotnet", Root, ["pack", Path.Combine(Root, "MlNetDeep.sln"), "-c", Configuration, "--no-build", "-o", Feed, $"-p:PackageVersion={_version}"]);
    }

    [OneTimeTearDown]
    public void Clean()
    {
        Directory.Delete(_work, recursive: true);
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "mlnetdeep.core", "mlnetdeep.vision", "mlnetdeep.charts", "mlnetdeep.interactive", "mlnetdeep.ml", "mlnetdeep.onnx", "mlnetdeep.cli" })
        {
            var folder = Path.Combine(cache, id, _version);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            var parent = Path.GetDirectoryName(folder)!;
            if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any())
            {
                Directory.Delete(parent);
            }
        }
    }

    private string Feed => Path.Combine(_work, "feed");

    private static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    [TestCase("MlNetDeep.Core")]
    [TestCase("MlNetDeep.Vision")]
    [TestCase("MlNetDeep.ML")]
    [TestCase("MlNetDeep.Charts")]
    [TestCase("MlNetDeep.Interactive")]
    [TestCase("MlNetDeep.Onnx")]
    [TestCase("MlNetDeep.Cli")]
    public void EveryPackageCarriesTheVersionLicenceReadmeAndSymbols(string id)
    {
        var package = Path.Combine(Feed, $"{id}.{_version}.nupkg");
        Assert.That(File.Exists(package), Is.True, package);
        Assert.That(File.Exists(Path.ChangeExtension(package, ".snupkg")), Is.True, "symbol package");
        using var zip = ZipFile.OpenRead(package);
        var nuspec = Nuspec(zip);
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;

        Assert.That(metadata.Element(ns + "version")!.Value, Is.EqualTo(_version));
        Assert.That(metadata.Element(ns + "license")!.Value, Is.EqualTo("MIT"));
        Assert.That(metadata.Element(ns + "readme")!.Value, Is.EqualTo("README.md"));
        Assert.That(metadata.Element(ns + "authors")!.Value, Is.Not.EqualTo(id), "authors are not the default (the assembly name)");
        Assert.That(metadata.Element(ns + "description")!.Value, Is.Not.EqualTo("Package Description"));
        Assert.That(zip.GetEntry("README.md"), Is.Not.Null);
        Assert.That(zip.GetEntry("LICENSE"), Is.Not.Null);
        if (id != "MlNetDeep.Cli")
        {
            Assert.That(zip.Entries.Select(e => e.FullName), Does.Contain($"lib/net10.0/{id}.xml"), "XML docs");
        }
    }

    [Test]
    public void MlNetDeepMlForcesNoPlatformNativeOnItsUsers()
    {
        using var zip = ZipFile.OpenRead(Path.Combine(Feed, $"MlNetDeep.ML.{_version}.nupkg"));
        var dependencies = Nuspec(zip).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();

        Assert.That(dependencies, Does.Contain("Microsoft.ML").And.Contain("SkiaSharp"));
        Assert.That(dependencies.Where(d => d.Contains("NativeAssets", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void AFreshAppBuildsAndRunsTheReadmePipelineFromTheFeed()
    {
        var app = Directory.CreateDirectory(Path.Combine(_work, "app")).FullName;
        WriteNuGetConfig(app);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="MlNetDeep.ML" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ReadmeSnippet("## In an ML.NET pipeline"));

        var output = Run("dotnet", app, ["run", "-c", "Release"], ("MLNETDEEP_DATASETS", Path.Combine(Root, "datasets")));

        Assert.That(output, Does.Contain("epoch 10: loss"));
        Assert.That(output, Does.Contain("macro"), "the classification report");
        Assert.That(File.Exists(Path.Combine(app, "mnist.mlnetdeep")), Is.True, "the pipeline was saved");
    }

    [Test]
    public void TheToolInstallsAsMlnetdeepAndTrainsEvaluatesPredictsAndSearches()
    {
        var tools = Path.Combine(_work, "tools");
        WriteNuGetConfig(_work);
        Run("dotnet", _work, ["tool", "install", "MlNetDeep.Cli", "--version", _version, "--tool-path", tools, "--add-source", Feed]);
        var datasets = Path.Combine(Root, "datasets");
        string Tool(params string[] args) => Run(Path.Combine(tools, "mlnetdeep"), _work, args, ("MLNETDEEP_DATASETS", datasets));

        // A CSV of the user's: the iris file, its label column named on the command line; the model saved and used again.
        var iris = Path.Combine(datasets, "iris", "iris.csv");
        var trained = Tool("train", "--dataset", iris, "--label-col", "target", "--epochs", "60", "--batch-size", "16", "--lr", "0.01", "--schedule", "constant",
            "--save", "iris.mlnetdeep", "--plot", "iris.svg");
        Assert.That(trained, Does.Contain("macro F1").And.Contain("pipeline saved to iris.mlnetdeep"));
        Assert.That(Accuracy(trained), Is.GreaterThan(0.7), trained);
        Assert.That(File.ReadAllText(Path.Combine(_work, "iris.svg")), Does.StartWith("<svg").And.Contain(">validation<").And.Contain(">accuracy<"));
        Assert.That(File.ReadAllText(Path.Combine(_work, "iris-confusion.svg")), Does.Contain(">predicted<"));
        Assert.That(File.ReadAllLines(Path.Combine(_work, "iris.csv")), Has.Length.EqualTo(61), "header and one line per epoch");
        Assert.That(trained, Does.Not.Contain("\u001b["), "no escape sequences when the output is redirected");

        var evaluated = Tool("evaluate", "--model", "iris.mlnetdeep", "--dataset", iris);
        Assert.That(Accuracy(evaluated), Is.GreaterThan(0.7), evaluated);
        var predicted = Tool("predict", "--model", "iris.mlnetdeep", "--dataset", iris).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(predicted[0], Is.EqualTo("row,PredictedLabel,Score_0,Score_1,Score_2"));
        Assert.That(predicted, Has.Length.EqualTo(151));

        // An image folder: one subfolder per class.
        var folder = ImageFolder(Path.Combine(_work, "shapes"));
        var images = Tool("train", "--dataset", folder, "--image-size", "16", "--epochs", "4", "--lr", "0.01", "--save", "shapes.mlnetdeep");
        Assert.That(images, Does.Contain("image folder").And.Contain("macro F1"));
        Assert.That(Accuracy(Tool("evaluate", "--model", "shapes.mlnetdeep", "--dataset", folder)), Is.GreaterThan(0.5));
        Assert.That(Tool("predict", "--model", "shapes.mlnetdeep", "--dataset", folder), Does.StartWith("row,PredictedLabel,Score_blue,Score_green,Score_red"));

        // A 12-trial search over the learning rate and L2 of the MNIST MLP, 10^r with r uniform, beside the recipe as given.
        File.WriteAllText(Path.Combine(_work, "mnist-search.json"), $$"""
            {
              "name": "mnist-mlp-search",
              "data": { "dataset": "{{Path.Combine(datasets, "mnist")}}" },
              "recipe": { "model": "mlp", "hidden": [128], "epochs": 2, "batchSize": 64, "learningRate": 0.001 },
              "seeds": [0],
              "search": {
                "strategy": "random", "trials": 12, "seed": 7,
                "space": {
                  "learningRate": { "type": "log-uniform", "min": 1e-4, "max": 1 },
                  "l2": { "type": "log-uniform", "min": 1e-6, "max": 1e-2 }
                }
              }
            }
            """);
        var searched = Tool("experiment", "run", "mnist-search.json", "--out", "search");
        var results = Path.Combine(_work, "search");
        var rows = File.ReadAllLines(Path.Combine(results, "trials.csv"));
        Assert.That(rows[0], Is.EqualTo("rank,trial,status,learningRate,l2,accuracy,val_loss,epochs,seconds"));
        Assert.That(rows, Has.Length.EqualTo(14), "12 trials and the recipe as given");
        double Score(string row) => double.Parse(row.Split(',')[5], System.Globalization.CultureInfo.InvariantCulture);
        var baseline = rows.Skip(1).Single(r => r.Split(',')[1] == "0");
        var best = rows.Skip(1).First(r => r.Split(',')[1] != "0");
        Assert.That(Score(best), Is.GreaterThanOrEqualTo(Score(baseline)), searched);
        Assert.That(Directory.GetFiles(Path.Combine(results, "curves")), Has.Length.EqualTo(13 - rows.Count(r => r.Contains("diverged", StringComparison.Ordinal))));
        Assert.That(File.ReadAllText(Path.Combine(results, "search.svg")), Does.Contain(">trials<").And.Contain(">best ("));
        Assert.That(File.ReadAllText(Path.Combine(results, "leaderboard.md")), Does.StartWith("# mnist-mlp-search"));
        Assert.That(Tool("experiment", "report", "search"), Does.Contain("| rank | trial |"));
        Assert.That(Accuracy(Tool("evaluate", "--model", Path.Combine("search", "best.mlnetdeep"), "--dataset", Path.Combine(datasets, "mnist"))),
            Is.EqualTo(Score(best)).Within(1e-4), "the saved best pipeline is the best trial's");
    }

    /// <summary>The accuracy in the metrics table the tool prints.</summary>
    private static double Accuracy(string output)
    {
        var match = AccuracyRow().Match(output);
        Assert.That(match.Success, Is.True, output);
        return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) / 100;
    }

    /// <summary>Three classes of 16×16 PNGs: a red, a green or a blue square on a noisy grey background, 15 of each.</summary>
    private static string ImageFolder(string folder)
    {
        var random = new Random(3);
        foreach (var (name, colour) in new[] { ("red", new SkiaSharp.SKColor(220, 40, 40)), ("green", new SkiaSharp.SKColor(40, 200, 40)), ("blue", new SkiaSharp.SKColor(40, 40, 220)) })
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            for (var i = 0; i < 15; i++)
            {
                using var bitmap = new SkiaSharp.SKBitmap(16, 16);
                for (var y = 0; y < 16; y++)
                {
                    for (var x = 0; x < 16; x++)
                    {
                        var g = (byte)random.Next(80, 160);
                        bitmap.SetPixel(x, y, new SkiaSharp.SKColor(g, g, g));
                    }
                }

                var (left, top) = (random.Next(0, 8), random.Next(0, 8));
                for (var y = top; y < top + 8; y++)
                {
                    for (var x = left; x < left + 8; x++)
                    {
                        bitmap.SetPixel(x, y, colour);
                    }
                }

                using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(folder, name, $"{i:D2}.png"), png.ToArray());
            }
        }

        return folder;
    }

    /// <summary>The first C# block after <paramref name="heading"/> in the README.</summary>
    private static string ReadmeSnippet(string heading)
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var section = readme[readme.IndexOf(heading, StringComparison.Ordinal)..];
        return CSharpBlock().Match(section).Groups[1].Value;
    }

    private void WriteNuGetConfig(string folder) => File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <!-- The test's folder feed beside the machine's own sources. -->
        <configuration>
          <packageSources>
            <add key="mlnetdeep-feed" value="{Feed}" />
          </packageSources>
        </configuration>
        """);

    private static XDocument Nuspec(ZipArchive zip)
    {
        using var stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }

    private static string Run(string file, string folder, string[] args, params (string Name, string Value)[] environment)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
        }

        var output = stdout.Result + stderr.Result;
        Assert.That(process.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)} in {folder}:\n{output}");
        return output;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MlNetDeep.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("MlNetDeep.sln not found above the test assembly.");
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"│ accuracy\s+│\s+([0-9.]+) %")]
    private static partial Regex AccuracyRow();
}
