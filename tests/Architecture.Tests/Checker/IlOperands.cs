// Walks a method body's IL and yields the metadata tokens of its operands (types, fields,
// methods, tokens, signatures), skipping every other operand by its size.
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace Architecture.Tests.Checker;

internal static class IlOperands
{
    private static readonly Dictionary<ushort, OperandType> OperandTypes = BuildTable();

    private static Dictionary<ushort, OperandType> BuildTable()
    {
        var table = new Dictionary<ushort, OperandType>();
        foreach (FieldInfo f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var op = (OpCode)f.GetValue(null)!;
            table.TryAdd((ushort)op.Value, op.OperandType);
        }
        return table;
    }

    public static IEnumerable<EntityHandle> Tokens(MethodBodyBlock body)
    {
        var handles = new List<EntityHandle>();
        BlobReader il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            ushort code = il.ReadByte();
            if (code == 0xFE) code = (ushort)(0xFE00 | il.ReadByte());
            if (!OperandTypes.TryGetValue(code, out OperandType operand))
                throw new InvalidOperationException($"unknown IL opcode 0x{code:X}");
            switch (operand)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                case OperandType.InlineSig:
                    handles.Add(MetadataTokens.EntityHandle(il.ReadInt32()));
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    int count = il.ReadInt32();
                    il.Offset += 4 * count;
                    break;
                default: // InlineBrTarget, InlineI, InlineString, ShortInlineR
                    il.Offset += 4;
                    break;
            }
        }
        return handles;
    }
}
