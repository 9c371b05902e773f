namespace MlNetDeep.Fuzz;

/// <summary>The counts of one format's fuzz run.</summary>
internal sealed class FuzzReport
{
    public string Format { get; set; } = string.Empty;

    public int Mutations { get; set; }

    public int Rejected { get; set; }

    public int AcceptedIdentical { get; set; }

    public int AcceptedForgedEdits { get; set; }

    public int Failures { get; set; }

    public int OutOfMemory { get; set; }

    public double Seconds { get; set; }

    public List<string> Examples { get; set; } = [];
}
