namespace MlNetDeep.Fuzz;

/// <summary>A damaged file: its bytes, whether its checksums were recomputed, and what was done to it.</summary>
internal sealed record Mutation(byte[] Bytes, bool Forged, string Kind);
