namespace MlNetDeep.Serialization;

/// <summary>A tensor as a weights file declares it: its name, its shape and where its values start in the file.</summary>
internal sealed record StoredTensor(string Name, int[] Shape, int Offset)
{
    /// <summary>The number of values.</summary>
    public int Length => Tensor.ProductOf(Shape);
}
