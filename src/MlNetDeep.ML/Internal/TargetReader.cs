using Microsoft.ML;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// How a trainer reads its targets from a data view: every row gives one target of the fixed <see cref="Shape"/> that
/// the trainer's loss takes — a class index from a key label, 0/1 from a Boolean, a value, or (for the tasks that
/// predict in the image plane) boxes or a mask made from one or more columns. The data-view sources (in memory,
/// streamed, validation) read targets only through it, so a new task adds a reader, not another way of reading data.
/// </summary>
internal abstract class TargetReader
{
    /// <summary>The shape of one row's target (empty for a scalar).</summary>
    public abstract int[] Shape { get; }

    /// <summary>The values of one row's target.</summary>
    public int Width => Tensor.ProductOf(Shape);

    /// <summary>How the targets move when the row's image is transformed (boxes, masks), or null when they do not depend on where the pixels are.</summary>
    public virtual SpatialTargets? Spatial => null;

    /// <summary>The columns of <paramref name="schema"/> a cursor must activate to read the targets.</summary>
    /// <exception cref="ArgumentException">A column is missing or of the wrong type; the message names it.</exception>
    public abstract IReadOnlyList<DataViewSchema.Column> Columns(DataViewSchema schema);

    /// <summary>A description of the columns and their types, which changes when the targets would be read differently (for caches).</summary>
    public abstract string Describe(DataViewSchema schema);

    /// <summary>A getter of the current row's target on <paramref name="row"/> (a cursor over at least <see cref="Columns"/>).</summary>
    public abstract TargetGetter Bind(DataViewRow row);

    /// <summary>The shape of the targets once the rows' images go from <paramref name="input"/> to <paramref name="output"/> (the scoring form of image steps).</summary>
    public int[] ShapeAfter(int[] input, int[] output)
    {
        if (Spatial is null || input.AsSpan().SequenceEqual(output))
        {
            return Shape;
        }

        return Spatial.OutputShapeForImage(Shape, output);
    }
}

/// <summary>Writes the current row's target into <paramref name="destination"/>; throws an exception naming <paramref name="row"/> and the column when the value cannot be a target.</summary>
/// <param name="destination">Receives the target, <see cref="TargetReader.Width"/> values.</param>
/// <param name="row">The row's index in the view, for messages.</param>
/// <param name="role">"training" or "validation", for messages.</param>
internal delegate void TargetGetter(Span<float> destination, long row, string role);
