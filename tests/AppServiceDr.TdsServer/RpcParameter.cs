using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace AppServiceDr.TdsServer
{
    /// <summary>One parameter of an RPC call, decoded from its TYPE_INFO and value.</summary>
    public sealed class RpcParameter
    {
        public RpcParameter(string name, string typeName, object? value, bool isOutput = false)
        {
            Name = name;
            TypeName = typeName;
            Value = value;
            IsOutput = isOutput;
        }

        /// <summary>With its leading '@'; empty for the positional parameters of sp_executesql.</summary>
        public string Name { get; }
        /// <summary>The SQL type as declared on the wire, e.g. <c>nvarchar(128)</c>, <c>int</c>, <c>datetime2(7)</c>.</summary>
        public string TypeName { get; }
        /// <summary>string, int, long, short, byte, bool, decimal, double, DateTime, Guid, byte[], or null.</summary>
        public object? Value { get; }
        public bool IsOutput { get; }

        public override string ToString() => Name + " " + TypeName + " = " + (Value == null ? "NULL" : Convert.ToString(Value, CultureInfo.InvariantCulture));
    }

    /// <summary>A decoded RPC request: the procedure (name or well-known id) and its parameters.</summary>
    internal sealed class RpcRequest
    {
        public RpcRequest(string procedure, IReadOnlyList<RpcParameter> parameters)
        {
            Procedure = procedure;
            Parameters = parameters;
        }

        public string Procedure { get; }
        public IReadOnlyList<RpcParameter> Parameters { get; }

        private static readonly string[] WellKnownProcs =
        {
            "", "sp_cursor", "sp_cursoropen", "sp_cursorprepare", "sp_cursorexecute", "sp_cursorprepexec",
            "sp_cursorunprepare", "sp_cursorfetch", "sp_cursoroption", "sp_cursorclose", "sp_executesql",
            "sp_prepare", "sp_execute", "sp_prepexec", "sp_prepexecrpc", "sp_unprepare",
        };

        /// <summary>Decodes the body of an RPC message (after ALL_HEADERS).</summary>
        public static RpcRequest Parse(TdsReader r)
        {
            string procedure;
            var nameLength = r.ReadUInt16();
            if (nameLength == 0xFFFF)
            {
                var id = r.ReadUInt16();
                procedure = id < WellKnownProcs.Length ? WellKnownProcs[id] : "proc#" + id;
            }
            else
            {
                procedure = r.ReadUnicode(nameLength);
            }
            r.ReadUInt16(); // option flags
            var parameters = new List<RpcParameter>();
            while (r.Remaining > 0)
            {
                var next = r.Data[r.Position];
                if (next == 0x80 || next == 0xFF || next == 0xFE) break; // another batched RPC follows: not used by the engine
                var name = r.ReadBVarChar();
                var status = r.ReadByte();
                parameters.Add(ReadTypedValue(r, name, (status & 0x01) != 0));
            }
            return new RpcRequest(procedure, parameters);
        }

        private static RpcParameter ReadTypedValue(TdsReader r, string name, bool isOutput)
        {
            var type = r.ReadByte();
            switch (type)
            {
                case TdsProtocol.TypeNull: return new RpcParameter(name, "null", null, isOutput);
                case TdsProtocol.TypeInt1: return new RpcParameter(name, "tinyint", r.ReadByte(), isOutput);
                case TdsProtocol.TypeBit: return new RpcParameter(name, "bit", r.ReadByte() != 0, isOutput);
                case TdsProtocol.TypeInt2: return new RpcParameter(name, "smallint", (short)r.ReadUInt16(), isOutput);
                case TdsProtocol.TypeInt4: return new RpcParameter(name, "int", r.ReadInt32(), isOutput);
                case TdsProtocol.TypeInt8: return new RpcParameter(name, "bigint", r.ReadInt64(), isOutput);
                case TdsProtocol.TypeIntN:
                {
                    var max = r.ReadByte();
                    var typeName = max switch { 1 => "tinyint", 2 => "smallint", 4 => "int", 8 => "bigint", _ => throw Bad(type) };
                    var len = r.ReadByte();
                    object? v = len switch
                    {
                        0 => null,
                        1 => r.ReadByte(),
                        2 => (short)r.ReadUInt16(),
                        4 => r.ReadInt32(),
                        8 => r.ReadInt64(),
                        _ => throw Bad(type),
                    };
                    return new RpcParameter(name, typeName, v, isOutput);
                }
                case TdsProtocol.TypeBitN:
                {
                    r.ReadByte();
                    var len = r.ReadByte();
                    return new RpcParameter(name, "bit", len == 0 ? null : (object)(r.ReadByte() != 0), isOutput);
                }
                case TdsProtocol.TypeFloatN:
                {
                    var max = r.ReadByte();
                    var len = r.ReadByte();
                    object? v = len == 0 ? null : len == 4 ? BitConverter.ToSingle(r.ReadBytes(4), 0) : (object)BitConverter.ToDouble(r.ReadBytes(8), 0);
                    return new RpcParameter(name, max == 4 ? "real" : "float", v, isOutput);
                }
                case TdsProtocol.TypeDecimalN:
                case TdsProtocol.TypeNumericN:
                {
                    r.ReadByte();
                    var precision = r.ReadByte();
                    var scale = r.ReadByte();
                    var len = r.ReadByte();
                    object? v = null;
                    if (len > 0)
                    {
                        var positive = r.ReadByte() == 1;
                        var magnitude = r.ReadBytes(len - 1);
                        var bits = new int[4];
                        for (var i = 0; i < magnitude.Length / 4 && i < 3; i++) bits[i] = BitConverter.ToInt32(magnitude, i * 4);
                        v = new decimal(bits[0], bits[1], bits[2], !positive, scale);
                    }
                    return new RpcParameter(name, "decimal(" + precision + "," + scale + ")", v, isOutput);
                }
                case TdsProtocol.TypeGuid:
                {
                    r.ReadByte();
                    var len = r.ReadByte();
                    return new RpcParameter(name, "uniqueidentifier", len == 0 ? null : (object)new Guid(r.ReadBytes(16)), isOutput);
                }
                case TdsProtocol.TypeDateN:
                {
                    var len = r.ReadByte();
                    return new RpcParameter(name, "date", len == 0 ? null : (object)new DateTime(ReadDays(r) * TimeSpan.TicksPerDay), isOutput);
                }
                case TdsProtocol.TypeDateTime2N:
                {
                    var scale = r.ReadByte();
                    var len = r.ReadByte();
                    object? v = null;
                    if (len > 0)
                    {
                        var timeBytes = r.ReadBytes(len - 3);
                        long units = 0;
                        for (var i = timeBytes.Length - 1; i >= 0; i--) units = (units << 8) | timeBytes[i];
                        for (var i = scale; i < 7; i++) units *= 10;
                        v = new DateTime(ReadDays(r) * TimeSpan.TicksPerDay + units);
                    }
                    return new RpcParameter(name, "datetime2(" + scale + ")", v, isOutput);
                }
                case TdsProtocol.TypeDateTimeN:
                {
                    var max = r.ReadByte();
                    var len = r.ReadByte();
                    object? v = null;
                    if (len == 8)
                    {
                        var days = r.ReadInt32();
                        var ticks300 = r.ReadInt32();
                        v = new DateTime(1900, 1, 1).AddDays(days).AddTicks((long)ticks300 * TimeSpan.TicksPerSecond / 300);
                    }
                    else if (len == 4)
                    {
                        var days = r.ReadUInt16();
                        var minutes = r.ReadUInt16();
                        v = new DateTime(1900, 1, 1).AddDays(days).AddMinutes(minutes);
                    }
                    return new RpcParameter(name, max == 4 ? "smalldatetime" : "datetime", v, isOutput);
                }
                case TdsProtocol.TypeNVarChar:
                case TdsProtocol.TypeNChar:
                case TdsProtocol.TypeBigVarChar:
                case TdsProtocol.TypeBigChar:
                {
                    var max = r.ReadUInt16();
                    r.Skip(5); // collation
                    var unicode = type == TdsProtocol.TypeNVarChar || type == TdsProtocol.TypeNChar;
                    var baseName = type switch
                    {
                        TdsProtocol.TypeNVarChar => "nvarchar",
                        TdsProtocol.TypeNChar => "nchar",
                        TdsProtocol.TypeBigVarChar => "varchar",
                        _ => "char",
                    };
                    var typeName = max == 0xFFFF ? baseName + "(max)" : baseName + "(" + (unicode ? max / 2 : max) + ")";
                    var bytes = ReadShortOrPlp(r, max);
                    return new RpcParameter(name, typeName, bytes == null ? null : Decode(bytes, unicode), isOutput);
                }
                case TdsProtocol.TypeBigVarBinary:
                case TdsProtocol.TypeBigBinary:
                {
                    var max = r.ReadUInt16();
                    var baseName = type == TdsProtocol.TypeBigVarBinary ? "varbinary" : "binary";
                    return new RpcParameter(name, max == 0xFFFF ? baseName + "(max)" : baseName + "(" + max + ")", ReadShortOrPlp(r, max), isOutput);
                }
                case TdsProtocol.TypeNText:
                case TdsProtocol.TypeText:
                {
                    r.ReadInt32();
                    r.Skip(5);
                    var len = r.ReadInt32();
                    var unicode = type == TdsProtocol.TypeNText;
                    object? v = len == -1 ? null : Decode(r.ReadBytes(len), unicode);
                    return new RpcParameter(name, unicode ? "ntext" : "text", v, isOutput);
                }
                default:
                    throw Bad(type);
            }
        }

        private static long ReadDays(TdsReader r)
        {
            var b = r.ReadBytes(3);
            return b[0] | (b[1] << 8) | (b[2] << 16);
        }

        private static byte[]? ReadShortOrPlp(TdsReader r, ushort max)
        {
            if (max == 0xFFFF) return r.ReadPlp();
            var len = r.ReadUInt16();
            return len == 0xFFFF ? null : r.ReadBytes(len);
        }

        private static string Decode(byte[] bytes, bool unicode) =>
            unicode ? Encoding.Unicode.GetString(bytes) : Encoding.Latin1.GetString(bytes);

        private static InvalidDataException Bad(byte type) =>
            new InvalidDataException("Unsupported or malformed TYPE_INFO 0x" + type.ToString("X2", CultureInfo.InvariantCulture) + " in an RPC parameter.");
    }
}
