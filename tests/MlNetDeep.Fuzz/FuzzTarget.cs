namespace MlNetDeep.Fuzz;

/// <summary>A file format under fuzzing: an intact original, ways to damage it, and how to load and score a file of it.</summary>
internal abstract class FuzzTarget
{
    /// <summary>The format's name in reports.</summary>
    public abstract string Name { get; }

    /// <summary>The intact file.</summary>
    public abstract byte[] Original { get; }

    /// <summary>A damaged copy of <see cref="Original"/>. <c>Forged</c> is true when the mutation recomputed the file's own
    /// checksums (a deliberate edit: the file may then legitimately describe another valid model).</summary>
    public abstract Mutation Mutate(Random random);

    /// <summary>Loads the file at <paramref name="path"/> through the public API.</summary>
    public abstract object Load(string path);

    /// <summary>Scores fixed inputs with a loaded model.</summary>
    public abstract float[] Score(object model);

    /// <summary>After a rejected load, returns a problem when something was changed or left half-done, or null.</summary>
    public virtual string? CheckAfterRejection() => null;
}
