using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace MlNetDeep.Tests.ML;

/// <summary>Edits saved pipeline files the way a person (or an attacker) would: entries changed and checksums recomputed.</summary>
internal static class PipelineFiles
{
    /// <summary>The manifest's text.</summary>
    public static string ReadManifest(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        using var reader = new StreamReader(zip.GetEntry("manifest.json")!.Open());
        return reader.ReadToEnd();
    }

    /// <summary>Replaces the manifest with <paramref name="edit"/>'s result; with <paramref name="rehash"/>, also its checksum entry.</summary>
    public static void EditManifest(string path, Func<string, string> edit, bool rehash = true)
    {
        var text = edit(ReadManifest(path));
        ReplaceEntry(path, "manifest.json", Encoding.UTF8.GetBytes(text));
        if (rehash)
        {
            ReplaceEntry(path, "manifest.sha256", Encoding.UTF8.GetBytes($"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))}  manifest.json\n"));
        }
    }

    /// <summary>The bytes of entry <paramref name="name"/>.</summary>
    public static byte[] ReadEntry(string path, string name)
    {
        using var zip = ZipFile.OpenRead(path);
        using var stream = zip.GetEntry(name)!.Open();
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Replaces (or adds) entry <paramref name="name"/>.</summary>
    public static void ReplaceEntry(string path, string name, byte[] bytes, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        zip.GetEntry(name)?.Delete();
        using var stream = zip.CreateEntry(name, level).Open();
        stream.Write(bytes);
    }

    /// <summary>Removes entry <paramref name="name"/>.</summary>
    public static void DeleteEntry(string path, string name)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        zip.GetEntry(name)!.Delete();
    }
}
