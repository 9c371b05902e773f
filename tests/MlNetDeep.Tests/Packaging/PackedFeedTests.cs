using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace MlNetDeep.Tests.Packaging;

/// <summary>
/// What a user gets from the packages: every project packs with one version, the MIT licence, the README and XML docs;
/// MlNetDeep.ML forces no platform's SkiaSharp native on its users; the CLI is a dotnet tool named mlnetdeep. A fresh
/// console app that takes the packages from a folder feed builds and runs the README's ML.NET pipeline snippet, and the
/// tool installs and trains.
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
        foreach (var id in new[] { "mlnetdeep.core", "mlnetdeep.vision", "mlnetdeep.ml", "mlnetdeep.cli" })
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
    public void TheToolInstallsAsMlnetdeepAndTrains()
    {
        var tools = Path.Combine(_work, "tools");
        WriteNuGetConfig(_work);
        Run("dotnet", _work, ["tool", "install", "MlNetDeep.Cli", "--version", _version, "--tool-path", tools, "--add-source", Feed]);

        var output = Run(Path.Combine(tools, "mlnetdeep"), _work, ["train", "--model", "mlp", "--epochs", "1"], ("MLNETDEEP_DATASETS", Path.Combine(Root, "datasets")));

        Assert.That(output, Does.Contain("test acc").And.Contain("precision"));
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
}
