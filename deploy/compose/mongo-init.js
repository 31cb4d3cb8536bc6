// Runs once, when the mongo container starts on an empty volume: the
// services' own user, allowed to read and write the hotline's databases only
// (one per service) and nothing else. Its password comes from .env
// (HOTLINE_MONGO_PASSWORD); to change it later see docs/operations.md.
const services = ["intake", "routing", "followup", "notify", "insight", "callcentre", "console"];
db.getSiblingDB("admin").createUser({
  user: "hotline",
  pwd: process.env.HOTLINE_MONGO_PASSWORD,
  roles: services.map((name) => ({ role: "readWrite", db: `hotline_${name}` })),
});
