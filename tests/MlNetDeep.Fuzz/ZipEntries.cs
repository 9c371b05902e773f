using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace MlNetDeep.Fuzz;

/// <summary>A zip file taken apart into named entries, changed, and written again — with or without recomputing the
/// SHA-256 records of an MlNetDeep pipeline manifest.</summary>
internal sealed class ZipEntries
{
    private ZipEntries(List<(string Name, byte[] Bytes)> entries) => Entries = entries;

    public List<(string Name, byte[] Bytes)> Entries { get; }

    public static ZipEntries Read(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var entries = new List<(string, byte[])>();
        foreach (var entry in archive.Entries)
        {
            using var stream = entry.Open();
            var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            entries.Add((entry.FullName, buffer.ToArray()));
        }

        return new ZipEntries(entries);
    }

    public int IndexOf(string name) => Entries.FindIndex(e => e.Name == name);

    public byte[] this[string name]
    {
        get => Entries[IndexOf(name)].Bytes;
        set => Entries[IndexOf(name)] = (name, value);
    }

    public ZipEntries Clone() => new([.. Entries]);

    /// <summary>Every entry's time stamp: fixed, so the same entries give the same bytes on every run.</summary>
    private static readonly DateTimeOffset Stamp = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Writes the entries as a zip; <paramref name="compressed"/> names the entries to deflate.</summary>
    public byte[] Write(ISet<string>? compressed = null)
    {
        var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in Entries)
            {
                var level = compressed?.Contains(name) == true ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
                var entry = archive.CreateEntry(name, level);
                entry.LastWriteTime = Stamp;
                using var stream = entry.Open();
                stream.Write(bytes);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Recomputes the manifest's length and SHA-256 of entry <paramref name="name"/>, then the manifest's checksum entry.</summary>
    public void Rehash(string? name)
    {
        if (name is not null && name is not ("manifest.json" or "manifest.sha256"))
        {
            var manifest = JsonNode.Parse(this["manifest.json"])!;
            var bytes = this[name];
            foreach (var record in Records(manifest).Where(r => (string?)r["entry"] == name))
            {
                record["length"] = bytes.Length;
                record["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            }

            this["manifest.json"] = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        }

        this["manifest.sha256"] = Encoding.UTF8.GetBytes($"{Convert.ToHexStringLower(SHA256.HashData(this["manifest.json"]))}  manifest.json\n");
    }

    /// <summary>Sets the uncompressed size that the central directory records for <paramref name="name"/>: a lying entry.</summary>
    public static void PatchDeclaredLength(byte[] zip, string name, uint length)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        for (var i = 0; i + 46 <= zip.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i)) != 0x02014b50)
            {
                continue;
            }

            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(i + 28));
            if (i + 46 + nameLength <= zip.Length && zip.AsSpan(i + 46, nameLength).SequenceEqual(nameBytes))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 24), length);
            }
        }
    }

    private static IEnumerable<JsonObject> Records(JsonNode manifest)
    {
        if (manifest["inputSchema"] is JsonObject input)
        {
            yield return input;
        }

        foreach (var stage in manifest["stages"]?.AsArray() ?? [])
        {
            if (stage is JsonObject o && o.ContainsKey("entry"))
            {
                yield return o;
            }
        }
    }
}
