// Apollo Server with DataLoader and node-postgres over the PostgreSQL store Birlik synced: the
// citizen query of bench/load with the same field names, resolvers written by hand, one
// DataLoader per request and per relation. It checks one fixed API key and nothing else: no
// purposes, row rules, masking or audit.
//
// Environment: PEER_PORT, DATABASE_URL, PEER_API_KEY, PEER_REGIONS (JSON: KATO -> name).
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import DataLoader from "dataloader";
import { GraphQLError } from "graphql";
import pg from "pg";

const port = Number(process.env.PEER_PORT);
const apiKey = process.env.PEER_API_KEY;
const regions = JSON.parse(process.env.PEER_REGIONS || "{}");
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

const typeDefs = `#graphql
  scalar Date
  scalar Month
  type Query { person(iin: String!): Person }
  type Region { kato: String! name: String! }
  type Person {
    iin: String! lastName: String! firstName: String! patronymic: String!
    birthDate: Date! sex: String! deathDate: Date
    region: Region!
    family: Family
    enrollments: [Enrollment!]
    payments(first: Int, where: PaymentWhereInput): PaymentConnection!
  }
  type Family { platformID: String! region: Region! members: [FamilyMembership!] }
  type FamilyMembership { iin: String! role: String! from: Date! to: Date person: Person }
  type Enrollment { grade: Int! year: Int! from: Date! to: Date school: School }
  type School { bin: String! name: String! kind: String! region: Region! designCapacity: Int! }
  input PaymentWhereInput { periodGTE: Month }
  type PaymentConnection { totalCount: Int! edges: [PaymentEdge!]! }
  type PaymentEdge { node: Payment! }
  type Payment { kind: String! amount: Int! period: Month! paidOn: Date }
`;

const personCols = `id, iin, last_name, first_name, patronymic, birth_date, sex, death_date, region_kato`;
const toPerson = (r) => ({
  id: r.id, iin: r.iin, lastName: r.last_name, firstName: r.first_name, patronymic: r.patronymic,
  birthDate: r.birth_date, sex: r.sex, deathDate: r.death_date, regionKato: r.region_kato,
});

// byKey orders rows as DataLoader wants them: one entry per key, in the keys' order.
function byKey(keys, rows, key, many) {
  const m = new Map();
  for (const r of rows) {
    const k = String(r[key]);
    if (many) {
      if (!m.has(k)) m.set(k, []);
      m.get(k).push(r);
    } else {
      m.set(k, r);
    }
  }
  return keys.map((k) => m.get(String(k)) ?? (many ? [] : null));
}

function loaders() {
  return {
    personByIIN: new DataLoader(async (iins) => {
      const { rows } = await pool.query(`SELECT ${personCols} FROM persons WHERE iin = ANY($1)`, [iins]);
      return byKey(iins, rows.map(toPerson), "iin", false);
    }),
    personByID: new DataLoader(async (ids) => {
      const { rows } = await pool.query(`SELECT ${personCols} FROM persons WHERE id = ANY($1)`, [ids]);
      return byKey(ids, rows.map(toPerson), "id", false);
    }),
    // The family a person currently belongs to: a membership without an end; of several, the
    // latest family.
    familyOfPerson: new DataLoader(async (iins) => {
      const { rows } = await pool.query(
        `SELECT DISTINCT ON (m.iin) m.iin AS member_iin, f.id, f.platform_id, f.region_kato
         FROM family_memberships m JOIN families f ON f.id = m.family_id
         WHERE m.iin = ANY($1) AND m."to" IS NULL ORDER BY m.iin, f.id DESC`, [iins]);
      return byKey(iins, rows.map((r) => ({ memberIIN: r.member_iin, id: r.id, platformID: r.platform_id, regionKato: r.region_kato })), "memberIIN", false);
    }),
    membersOfFamily: new DataLoader(async (ids) => {
      const { rows } = await pool.query(
        `SELECT family_id, iin, role, "from", "to", person_id FROM family_memberships WHERE family_id = ANY($1) ORDER BY id`, [ids]);
      return byKey(ids, rows.map((r) => ({ familyID: r.family_id, iin: r.iin, role: r.role, from: r.from, to: r.to, personID: r.person_id })), "familyID", true);
    }),
    enrollmentsOfChild: new DataLoader(async (ids) => {
      const { rows } = await pool.query(
        `SELECT child_id, grade, year, "from", "to", school_id FROM enrollments WHERE child_id = ANY($1) ORDER BY id`, [ids]);
      return byKey(ids, rows.map((r) => ({ childID: r.child_id, grade: Number(r.grade), year: Number(r.year), from: r.from, to: r.to, schoolID: r.school_id })), "childID", true);
    }),
    schoolByID: new DataLoader(async (ids) => {
      const { rows } = await pool.query(
        `SELECT s.id, s.bin, s.name, s.kind, s.region_kato, coalesce(b.design_capacity, 0) AS design_capacity
         FROM schools s LEFT JOIN buildings b ON b.id = s.building_id WHERE s.id = ANY($1)`, [ids]);
      return byKey(ids, rows.map((r) => ({ id: r.id, bin: r.bin, name: r.name, kind: r.kind, regionKato: r.region_kato, designCapacity: Number(r.design_capacity) })), "id", false);
    }),
  };
}

const region = (kato) => ({ kato, name: regions[kato] ?? "" });

const resolvers = {
  Query: {
    person: (_, { iin }, ctx) => ctx.loaders.personByIIN.load(iin),
  },
  Person: {
    region: (p) => region(p.regionKato),
    family: (p, _, ctx) => ctx.loaders.familyOfPerson.load(p.iin),
    enrollments: (p, _, ctx) => ctx.loaders.enrollmentsOfChild.load(p.id),
    payments: (p, { first, where }) => ({ personID: p.id, first: Math.min(first ?? 100, 1000), from: where?.periodGTE ?? "" }),
  },
  Family: {
    region: (f) => region(f.regionKato),
    members: (f, _, ctx) => ctx.loaders.membersOfFamily.load(f.id),
  },
  FamilyMembership: {
    person: (m, _, ctx) => (m.personID == null ? null : ctx.loaders.personByID.load(m.personID)),
  },
  Enrollment: {
    school: (e, _, ctx) => (e.schoolID == null ? null : ctx.loaders.schoolByID.load(e.schoolID)),
  },
  School: {
    region: (s) => region(s.regionKato),
  },
  PaymentConnection: {
    totalCount: async (c) => {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM payments WHERE recipient_id = $1 AND period >= $2`, [c.personID, c.from]);
      return rows[0].n;
    },
    edges: async (c) => {
      const { rows } = await pool.query(
        `SELECT kind, amount, period, paid_on FROM payments WHERE recipient_id = $1 AND period >= $2 ORDER BY id LIMIT $3`, [c.personID, c.from, c.first]);
      return rows.map((r) => ({ node: { kind: r.kind, amount: Number(r.amount), period: r.period, paidOn: r.paid_on } }));
    },
  },
};

const server = new ApolloServer({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, {
  listen: { port, host: "127.0.0.1" },
  context: async ({ req }) => {
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      throw new GraphQLError("not authenticated", { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
    }
    return { loaders: loaders() };
  },
});
console.log(`apollo: serving ${url}`);
