namespace MlNetDeep.ML.Segmentation;

/// <summary>How a mask column holds its per-pixel labels.</summary>
internal enum MaskKind
{
    /// <summary>Keys 1..K (0: unlabelled).</summary>
    Key,

    /// <summary>UInt32 class indices 0..K−1.</summary>
    UInt32,

    /// <summary>Single class indices 0..K−1.</summary>
    Single,
}
