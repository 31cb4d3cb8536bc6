"""Where callcentre's doors need translating: the CTI events (HTTP and AMQP), the queries."""
