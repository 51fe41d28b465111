using System;

namespace AppServiceDr.TdsServer
{
    /// <summary>Numbers from the TDS 7.4 layout that the server reads and writes.</summary>
    internal static class TdsProtocol
    {
        public const byte PacketSqlBatch = 0x01;
        public const byte PacketRpc = 0x03;
        public const byte PacketReply = 0x04;
        public const byte PacketAttention = 0x06;
        public const byte PacketLogin7 = 0x10;
        public const byte PacketPrelogin = 0x12;

        public const byte StatusEndOfMessage = 0x01;
        public const int HeaderLength = 8;

        /// <summary>One packet: type, status (END OF MESSAGE on the last packet of a message), big-endian length
        /// counting the header, the session's id, a packet number that wraps, window 0, then the payload.</summary>
        public static byte[] Packet(byte type, bool endOfMessage, int sessionId, byte packetId, ReadOnlySpan<byte> payload)
        {
            var packet = new byte[HeaderLength + payload.Length];
            packet[0] = type;
            packet[1] = endOfMessage ? StatusEndOfMessage : (byte)0;
            packet[2] = (byte)(packet.Length >> 8);
            packet[3] = (byte)(packet.Length & 0xFF);
            packet[4] = (byte)(sessionId >> 8);
            packet[5] = (byte)(sessionId & 0xFF);
            packet[6] = packetId;
            payload.CopyTo(packet.AsSpan(HeaderLength));
            return packet;
        }

        /// <summary>The payload length a packet header announces.</summary>
        public static int PayloadLength(byte[] header)
        {
            var length = (header[2] << 8) | header[3];
            if (length < HeaderLength) throw new System.IO.IOException("Malformed TDS packet header.");
            return length - HeaderLength;
        }

        public const byte TokenReturnStatus = 0x79;
        public const byte TokenColMetadata = 0x81;
        public const byte TokenError = 0xAA;
        public const byte TokenInfo = 0xAB;
        public const byte TokenLoginAck = 0xAD;
        public const byte TokenFeatureExtAck = 0xAE;
        public const byte TokenRow = 0xD1;
        public const byte TokenEnvChange = 0xE3;
        public const byte TokenDone = 0xFD;
        public const byte TokenDoneProc = 0xFE;
        public const byte TokenDoneInProc = 0xFF;

        public const ushort DoneFinal = 0x00;
        public const ushort DoneMore = 0x01;
        public const ushort DoneError = 0x02;
        public const ushort DoneCount = 0x10;
        public const ushort DoneAttention = 0x20;

        public const byte EnvDatabase = 1;
        public const byte EnvLanguage = 2;
        public const byte EnvPacketSize = 4;
        public const byte EnvCollation = 7;

        public const ushort ProcIdExecuteSql = 10;

        // PRELOGIN option tokens.
        public const byte PreloginVersion = 0x00;
        public const byte PreloginEncryption = 0x01;
        public const byte PreloginInstance = 0x02;
        public const byte PreloginMars = 0x04;
        public const byte PreloginFedAuthRequired = 0x06;
        public const byte PreloginTerminator = 0xFF;

        // B_FENCRYPTION values of the PRELOGIN ENCRYPTION option.
        public const byte EncryptOff = 0x00;
        public const byte EncryptOn = 0x01;
        public const byte EncryptNotSupported = 0x02;
        public const byte EncryptRequired = 0x03;

        /// <summary>First byte of a TLS handshake record: a TDS 8.0 client starts with its ClientHello instead of PRELOGIN.</summary>
        public const byte TlsHandshakeRecord = 0x16;
        /// <summary>The ALPN protocol a TDS 8.0 client offers.</summary>
        public const string Tds8Alpn = "tds/8.0";

        /// <summary>LOGIN7 OptionFlags3: the ibExtension field points at a feature extension block.</summary>
        public const byte OptionFlags3Extension = 0x10;
        public const byte FeatureFedAuth = 0x02;
        public const byte FeatureTerminator = 0xFF;
        /// <summary>bFedAuthLibrary of a FEDAUTH feature carrying a ready-made token.</summary>
        public const byte FedAuthLibrarySecurityToken = 0x01;

        /// <summary>SQL_Latin1_General_CP1_CI_AS: LCID 1033 with its flags, sort id 52.</summary>
        public static readonly byte[] DefaultCollation = { 0x09, 0x04, 0xD0, 0x00, 0x34 };

        /// <summary>TDS 7.4 as LOGINACK carries it (most significant byte first).</summary>
        public static readonly byte[] TdsVersion74 = { 0x74, 0x00, 0x00, 0x04 };

        // Data types (TYPE_INFO first byte).
        public const byte TypeNull = 0x1F;
        public const byte TypeInt1 = 0x30;
        public const byte TypeBit = 0x32;
        public const byte TypeInt2 = 0x34;
        public const byte TypeInt4 = 0x38;
        public const byte TypeInt8 = 0x7F;
        public const byte TypeGuid = 0x24;
        public const byte TypeIntN = 0x26;
        public const byte TypeDateN = 0x28;
        public const byte TypeDateTime2N = 0x2A;
        public const byte TypeBitN = 0x68;
        public const byte TypeDecimalN = 0x6A;
        public const byte TypeNumericN = 0x6C;
        public const byte TypeFloatN = 0x6D;
        public const byte TypeDateTimeN = 0x6F;
        public const byte TypeBigVarBinary = 0xA5;
        public const byte TypeBigVarChar = 0xA7;
        public const byte TypeBigBinary = 0xAD;
        public const byte TypeBigChar = 0xAF;
        public const byte TypeNVarChar = 0xE7;
        public const byte TypeNChar = 0xEF;
        public const byte TypeText = 0x23;
        public const byte TypeNText = 0x63;
    }
}
