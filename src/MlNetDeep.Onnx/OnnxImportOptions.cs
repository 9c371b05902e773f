namespace MlNetDeep.Onnx;

/// <summary>How <see cref="OnnxImport"/> reads a graph.</summary>
public sealed class OnnxImportOptions
{
    /// <summary>
    /// The per-sample input shape (such as [3, 224, 224]) when the file leaves dimensions other than the batch symbolic, or
    /// to override the declared shape; null to take the file's.
    /// </summary>
    public IReadOnlyList<int>? InputShape { get; init; }

    /// <summary>The seed of the random streams the network's layers keep (dropout masks while fine-tuning).</summary>
    public ulong Seed { get; init; }
}
